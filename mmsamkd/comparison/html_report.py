"""``report.html``: the tables and pictures of a comparison in one file
that a browser opens without a server (pictures inlined)."""

import base64
import html
import os.path as osp
from typing import List, Sequence


def tables_from_markdown(markdown: str) -> List[str]:
    """The Markdown tables of ``results.md`` as HTML tables."""
    tables, rows = [], []
    for line in markdown.splitlines() + ['']:
        if line.startswith('|'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if not all(set(c) <= set('-:') for c in cells):  # a rule line
                rows.append(cells)
            continue
        if rows:
            head = ''.join(f'<th>{html.escape(c)}</th>' for c in rows[0])
            body = ''.join(
                '<tr>'
                + ''.join(f'<td>{html.escape(c)}</td>' for c in r)
                + '</tr>'
                for r in rows[1:]
            )
            tables.append(
                f'<table><thead><tr>{head}</tr></thead>'
                f'<tbody>{body}</tbody></table>'
            )
            rows = []
    return tables


def write_report(
    markdown: str,
    pictures: Sequence[str],
    out_dir: str,
    title: str = 'mmsamkd comparison',
) -> str:
    """Write ``report.html`` from ``results.md``'s text and the PNG files
    ``pictures``; return its path."""
    images = []
    for path in pictures:
        with open(path, 'rb') as f:
            data = base64.b64encode(f.read()).decode()
        name = html.escape(osp.basename(path))
        images.append(
            f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
            f'<figcaption>{name}</figcaption></figure>'
        )
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title><style>'
        'body{font-family:sans-serif;margin:2em}'
        'table{border-collapse:collapse;margin:1em 0}'
        'th,td{border:1px solid #ccc;padding:2px 6px;font-size:13px}'
        'td{text-align:right}td:first-child{text-align:left}'
        'img{max-width:100%}'
        f'</style></head><body><h1>{html.escape(title)}</h1>'
        + ''.join(tables_from_markdown(markdown))
        + ''.join(images)
        + '</body></html>\n'
    )
    path = osp.join(out_dir, 'report.html')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(page)
    return path
