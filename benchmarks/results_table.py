"""Markdown tables from a benchmark results CSV (one row per run).

    python benchmarks/results_table.py [--csv benchmarks/results/...csv]
        [--readme README.md ...]

Prints, per split, each method's top-1 per seed with mean and standard
deviation. With ``--readme``, rewrites the block between
``<!-- fmnist-table:begin -->`` and ``<!-- fmnist-table:end -->`` in each
file, so README figures come from the CSV and are never typed.
"""

import argparse
import csv
import os.path as osp
import re
import statistics

HERE = osp.dirname(osp.abspath(__file__))
METHODS_CSV = osp.join(HERE, 'results', 'fmnist_methods.csv')
COLUMNS = (
    'method',
    'seed',
    'split',
    'top1',
    'epochs',
    'train_images',
    'teacher',
    'student',
    'date',
    'machine',
)
# teacher first, then the students in the order the methods build on
# each other; methods not listed follow alphabetically
ORDER = ('teacher', 'vanilla', 'kd', 'hsakd', 'samkd')
BEGIN, END = '<!-- fmnist-table:begin -->', '<!-- fmnist-table:end -->'


def read_rows(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


def summarize(rows, split):
    """``{method: {seed: top1}}`` of one split, in :data:`ORDER`."""
    table = {}
    for row in rows:
        if row['split'] == split:
            table.setdefault(row['method'], {})[int(row['seed'])] = float(
                row['top1']
            )

    def rank(method):
        return (ORDER.index(method) if method in ORDER else len(ORDER), method)

    return {m: table[m] for m in sorted(table, key=rank)}


def mean_std(values):
    values = list(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), std


def markdown(rows, split):
    """The Markdown table of one split: seeds, mean and std per method."""
    table = summarize(rows, split)
    if not table:
        return ''
    seeds = sorted({s for per_seed in table.values() for s in per_seed})
    lines = [
        '| method | '
        + ' | '.join(f'seed {s}' for s in seeds)
        + ' | mean ± std |',
        '|---' * (len(seeds) + 2) + '|',
    ]
    for method, per_seed in table.items():
        cells = [f'{per_seed[s]:.2f}' if s in per_seed else '' for s in seeds]
        mean, std = mean_std(per_seed.values())
        lines.append(
            f'| {method} | '
            + ' | '.join(cells)
            + f' | {mean:.2f} ± {std:.2f} |'
        )
    return '\n'.join(lines) + '\n'


def setup_line(rows):
    """One line naming the schedule, data, pair and machine of the rows."""
    first = rows[0]
    student = next(
        (r['student'] for r in rows if r['method'] != 'teacher'), ''
    )
    return (
        f'Fashion-MNIST, first {first["train_images"]} training images, '
        f'{first["epochs"]} epochs, teacher {first["teacher"]}, student '
        f'{student}; last-epoch top-1 (%) from '
        f'`{osp.relpath(METHODS_CSV, osp.dirname(HERE))}` '
        f'({first["machine"]}).'
    )


def block(rows):
    """The generated README block: the test table, then validation."""
    parts = [setup_line(rows), '']
    for split, title in (('test', 'Test split'), ('val', 'Validation')):
        text = markdown(rows, split)
        if text:
            parts += [f'{title}:', '', text]
    return '\n'.join(parts).rstrip('\n') + '\n'


def rewrite(path, text):
    """Replace the generated block of ``path``; False if it has none."""
    with open(path, encoding='utf-8') as f:
        old = f.read()
    pattern = re.compile(re.escape(BEGIN) + r'.*?' + re.escape(END), re.S)
    if not pattern.search(old):
        return False
    new = pattern.sub(lambda _: f'{BEGIN}\n{text}{END}', old)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(new)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--csv', default=METHODS_CSV)
    parser.add_argument('--readme', nargs='*', default=[])
    args = parser.parse_args()
    rows = read_rows(args.csv)
    text = block(rows)
    print(text)
    for path in args.readme:
        if not rewrite(path, text):
            raise SystemExit(f'{path} has no {BEGIN} ... {END} block')


if __name__ == '__main__':
    main()
