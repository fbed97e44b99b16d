"""compare.py's pictures and report.html, rendered by a real browser."""

import re
import shutil
import statistics
import subprocess

import pytest

from mmsamkd.comparison.html_report import tables_from_markdown, write_report
from mmsamkd.comparison.pictures import (
    _pyplot,
    plot_accuracy_vs_cost,
    plot_curves,
    plot_reliability,
    pooled_bins,
)
from mmsamkd.comparison.report import write_table

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
# after the page loads, each picture's naturalWidth becomes an attribute
# that the dumped DOM shows (0: the browser could not decode it)
MEASURE = (
    '<script>window.addEventListener("load", () => {'
    'for (const i of document.images) '
    'i.setAttribute("data-natural-width", i.naturalWidth)})</script>'
)


def diagram(accuracy):
    """A reliability diagram of 15 bins, 10 predictions in each of the
    upper five."""
    bins = [(0, None, None)] * 10
    bins += [(10, (b + 0.5) / 15, accuracy) for b in range(10, 15)]
    return dict(student=bins, teacher=bins)


def row(config, seed, last, seconds, epochs=12, unit='epoch'):
    steps = list(range(1, epochs + 1))
    return dict(
        reliability=diagram(0.8),
        config=config,
        method=config.split('_')[0],
        dataset='LocalFashionMNIST[:5000]',
        evaluation='LocalFashionMNIST val of 10000',
        schedule=f'{epochs} epochs, lr 0.05',
        seed=seed,
        code='0.1.0+0123456789ab',
        best=last + 0.3,
        last=last,
        teacher=85.0,
        steps=epochs,
        curve=(steps, [last - 12 + s for s in steps]),
        step_unit=unit,
        train_seconds=seconds,
        seconds_per_iter=0.05,
        peak_mb=900.0,
        memory='rss',
        parameters=5142,
        flops=639120,
    )


def comparison_rows():
    """Two students over 2 seeds and a frozen-stage teacher validated
    once."""
    rows = [row('ssa-frozen', 0, 84.0, 60, epochs=1)]
    for seed in (0, 1):
        rows.append(row('kd', seed, 78.5 + seed, 100 + seed))
        rows.append(row('hsakd', seed, 80.5 + seed, 500 + 10 * seed))
    return rows


def comparison(out_dir):
    rows = comparison_rows()
    markdown = write_table(rows, out_dir, 'accuracy/top1')
    pictures = [
        plot_curves(rows, out_dir, 'accuracy/top1'),
        plot_accuracy_vs_cost(rows, out_dir, 'accuracy/top1'),
        plot_reliability(rows, out_dir),
    ]
    return markdown, write_report(markdown, pictures, out_dir)


def test_every_markdown_table_becomes_an_html_table(tmp_path):
    markdown, _ = comparison(tmp_path)
    tables = tables_from_markdown(markdown)
    assert len(tables) == 2  # the runs, and the seed summary
    assert tables[0].count('<tr>') == 1 + 5  # header and five runs
    assert '<th>MFLOPs</th>' in tables[0]
    assert (
        '<td>LocalFashionMNIST[:5000]</td><td>LocalFashionMNIST val of '
        '10000</td><td>12 epochs, lr 0.05</td>'
    ) in tables[0]
    assert '<td>0:08:20</td>' in tables[0]  # hsakd seed 0: 500 s
    assert tables[1].count('<tr>') == 1 + 2  # header, kd and hsakd
    assert '+2.00 ± 0.00 (2 seeds)' in tables[1]


def test_the_table_says_what_each_runs_steps_count(tmp_path):
    """Before: the column of how far a run trained was headed ``epochs``
    for a run of 8 iterations too."""

    def column(rows):
        lines = write_table(rows, tmp_path, 'top1').splitlines()
        header = lines[0].split(' | ')
        at = next(
            i
            for i, name in enumerate(header)
            if 'epochs' in name or 'iter' in name
        )
        return header[at], [line.split(' | ')[at] for line in lines[2:4]]

    epochs = row('kd', 0, 78.0, 100, epochs=12)
    iterations = row('kd-iters', 0, 78.0, 100, epochs=8, unit='iteration')
    assert column([epochs]) == ('epochs', ['12'])
    assert column([iterations]) == ('iterations', ['8'])
    assert column([epochs, iterations]) == (
        'epochs / iterations',
        ['12', '8 iters'],
    )


def test_rule_lines_of_any_alignment_are_not_rows():
    (table,) = tables_from_markdown('| a | b |\n|:--|:-:|\n| 1 | <2> |\n')
    assert table == (
        '<table><thead><tr><th>a</th><th>b</th></tr></thead>'
        '<tbody><tr><td>1</td><td>&lt;2&gt;</td></tr></tbody></table>'
    )


def test_no_picture_of_cost_without_recorded_times(tmp_path):
    rows = [dict(row('kd', 0, 78.0, None), train_seconds=None)]
    assert plot_accuracy_vs_cost(rows, tmp_path, 'top1') is None


def test_seeds_pool_into_one_diagram_weighted_by_counts(tmp_path):
    first = [(2, 0.55, 1.0), (0, None, None), (2, 0.95, 0.5)]
    second = [(6, 0.51, 0.5), (0, None, None), (0, None, None)]
    pooled = pooled_bins([first, second])
    assert pooled[1] == (0, None, None) and pooled[2] == (2, 0.95, 0.5)
    count, confidence, accuracy = pooled[0]
    # 2 predictions at 0.55 (both right) and 6 at 0.51 (half right)
    assert count == 8
    assert confidence == pytest.approx((2 * 0.55 + 6 * 0.51) / 8)
    assert accuracy == pytest.approx((2 * 1.0 + 6 * 0.5) / 8)
    # no run wrote a diagram: no picture
    rows = [dict(row('kd', 0, 78.0, 100), reliability=None)]
    assert plot_reliability(rows, tmp_path) is None


@pytest.fixture
def drawn(monkeypatch):
    """The figures the pictures draw, kept open past their ``close`` so
    that a test can read what was plotted."""
    plt = _pyplot()
    close = plt.close
    figures = []
    monkeypatch.setattr(plt, 'close', figures.append)
    yield figures
    for fig in figures:
        close(fig)


def test_curves_name_each_seed_and_mark_a_single_validation(tmp_path, drawn):
    rows = comparison_rows() + [row('dkd', 0, 70.0, 50, epochs=2)]
    plot_curves(rows, tmp_path, 'accuracy/top1')
    (ax,) = drawn[0].axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    # configs trained with several seeds: one line per seed, named so; a
    # run validated twice is a line too
    names = [
        'kd (seed 0)',
        'hsakd (seed 0)',
        'kd (seed 1)',
        'hsakd (seed 1)',
        'dkd',
    ]
    assert [n for n in lines if not n.startswith('_')] == names
    line = lines['hsakd (seed 1)']
    assert list(line.get_xdata()) == list(range(1, 13))
    assert list(line.get_ydata()) == [81.5 - 12 + s for s in range(1, 13)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == names
    # the teacher validated once: a star named beside it, no line
    (star,) = [x for x in lines.values() if x.get_marker() == '*']
    assert (list(star.get_xdata()), list(star.get_ydata())) == ([1], [73.0])
    (note,) = ax.texts
    assert (note.get_text(), note.xy) == ('ssa-frozen', (1, 73.0))
    assert ax.get_ylabel() == 'accuracy/top1'
    assert ax.get_xlabel() == 'epoch'


def test_curves_say_what_their_steps_count(tmp_path, drawn):
    """Before: every curve's axis read 'epoch', the iterations of an
    iteration-based run too."""
    iterations = [row('kd', 0, 78.0, 100, epochs=3, unit='iteration')]
    plot_curves(iterations, tmp_path, 'accuracy/top1')
    assert drawn[0].axes[0].get_xlabel() == 'iteration'
    # on one axis with epochs, the run of iterations says so
    mixed = iterations + [row('hsakd', 0, 80.0, 100, epochs=3)]
    plot_curves(mixed, tmp_path, 'accuracy/top1')
    (ax,) = drawn[1].axes
    assert ax.get_xlabel() == 'epoch or iteration'
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ['kd (by iteration)', 'hsakd']


def test_accuracy_against_cost_is_the_mean_over_seeds(tmp_path, drawn):
    rows = comparison_rows()
    plot_accuracy_vs_cost(rows, tmp_path, 'accuracy/top1')
    (ax,) = drawn[0].axes
    points = {}
    for note, bars in zip(ax.texts, ax.containers):
        data, _, (across, up) = bars.lines
        ((x, y),) = data.get_xydata()
        assert note.xy == pytest.approx((x, y))
        (((left, _), (right, _)),) = across.get_segments()
        (((_, low), (_, high)),) = up.get_segments()
        points[note.get_text()] = (x, y, (right - left) / 2, (high - low) / 2)
    # kd: 100 and 101 s, last 78.5 and 79.5; one run: no error bar
    minutes = [100 / 60, 101 / 60]
    assert points['kd'] == pytest.approx(
        (
            sum(minutes) / 2,
            79.0,
            statistics.stdev(minutes),
            statistics.stdev([78.5, 79.5]),
        )
    )
    assert points['hsakd'][:2] == pytest.approx((505 / 60, 81.0))
    assert points['ssa-frozen'] == pytest.approx((1.0, 84.0, 0, 0))


def test_reliability_diagrams_one_per_config(tmp_path, drawn):
    rows = comparison_rows() + [row('sskd', 0, 79.0, 90)]
    plot_reliability(rows, tmp_path)
    axes = drawn[0].axes
    # four configs: two lines of three, the last two panels blank
    assert len(axes) == 6
    assert [ax.axison for ax in axes] == [True] * 4 + [False] * 2
    ax = axes[1]  # kd, two seeds pooled
    # 10 of the 15 bins empty; the upper five at accuracy 0.8, each bar
    # centred in its bin and narrower than it
    bars = [
        value
        for p in ax.patches
        for value in (
            p.get_x() + p.get_width() / 2,
            p.get_height(),
            p.get_width(),
        )
    ]
    assert bars == pytest.approx(
        [v for b in range(10, 15) for v in ((b + 0.5) / 15, 0.8, 0.9 / 15)]
    )
    teacher, diagonal = ax.get_lines()
    assert list(teacher.get_ydata()) == pytest.approx([0.8] * 5)
    assert diagonal.get_xydata().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    # |0.8 - (b + 0.5) / 15| over the upper five bins, in %
    ece = 100 * sum(abs(0.8 - (b + 0.5) / 15) for b in range(10, 15)) / 5
    assert ax.get_title() == f'kd, 2 seeds\nECE {ece:.2f} %'
    assert axes[0].get_title().startswith('ssa-frozen\nECE')


def test_one_reliability_diagram_alone(tmp_path, drawn):
    plot_reliability([row('kd', 0, 78.0, 100)], tmp_path)
    (ax,) = drawn[0].axes
    assert len(ax.patches) == 5 and ax.get_title().startswith('kd\nECE')


@pytest.mark.skipif(
    CHROMIUM is None,
    reason='needs Debian chromium (apt-get install chromium; CI has it)',
)
def test_the_report_renders_in_a_browser(tmp_path):
    markdown, report = comparison(tmp_path)
    page = open(report, encoding='utf-8').read()
    assert page.count('<img') == 3
    measured = tmp_path / 'measured.html'
    measured.write_text(page.replace('</body>', MEASURE + '</body>'))
    dom = subprocess.run(
        [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu']
        + ['--virtual-time-budget=5000', '--dump-dom']
        + [measured.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert dom.count('<table>') == 2
    for cell in ('kd', 'hsakd', 'ssa-frozen', '0:08:20', 'peak RSS MiB'):
        assert f'>{cell}<' in dom, cell
    widths = re.findall(r'data-natural-width="(\d+)"', dom)
    assert len(widths) == 3 and all(int(w) > 0 for w in widths)
