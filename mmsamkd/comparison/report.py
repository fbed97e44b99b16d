"""The tables and the curves of a comparison."""

import csv
import os
import os.path as osp
import statistics

from mmsamkd.utils.run_results import read_record

TEACHER_PREFIX = 'teacher.'


def summarize(config, work_dir, history, metric):
    steps = sorted(history)
    values = [history[s][metric] for s in steps]
    teacher = history[steps[-1]].get(TEACHER_PREFIX + metric)
    record = read_record(work_dir) or {}
    return dict(
        config=osp.splitext(osp.basename(config))[0],
        method=osp.basename(osp.dirname(osp.abspath(config))),
        dataset=record.get('dataset', '?'),
        schedule=record.get('schedule', '?'),
        seed=record.get('seed', '?'),
        best=max(values),
        last=values[-1],
        teacher=teacher,
        steps=steps[-1],
        curve=(steps, values),
    )


def write_table(rows, out_dir, metric):
    os.makedirs(out_dir, exist_ok=True)
    header = [
        'config',
        'method',
        'dataset',
        'schedule',
        'seed',
        f'best {metric}',
        f'last {metric}',
        'teacher',
        'epochs',
    ]

    def cells(row):
        teacher = '' if row['teacher'] is None else f'{row["teacher"]:.2f}'
        return [
            row['config'],
            row['method'],
            row['dataset'],
            row['schedule'],
            str(row['seed']),
            f'{row["best"]:.2f}',
            f'{row["last"]:.2f}',
            teacher,
            str(row['steps']),
        ]

    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cells(row)) + ' |' for row in rows]
    markdown = '\n'.join(lines) + '\n'
    summary = seed_summary(rows, metric)
    if summary:
        markdown += '\n' + summary
    with open(osp.join(out_dir, 'results.md'), 'w', encoding='utf-8') as f:
        f.write(markdown)
    with open(
        osp.join(out_dir, 'results.csv'), 'w', newline='', encoding='utf-8'
    ) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(cells(row) for row in rows)
    return markdown


def seed_summary(rows, metric):
    """The Markdown table of the configs run on several seeds: the mean and
    std of their last-epoch ``metric`` over the seeds, and each one's gap
    from the first such config, seed by seed (paired, so the spread
    between seeds drops out)."""
    per_config = {}
    for row in rows:
        per_config.setdefault(row['config'], {})[row['seed']] = row['last']
    seeded = {c: v for c, v in per_config.items() if len(v) > 1}
    if not seeded:
        return ''
    first, first_runs = next(iter(seeded.items()))

    def mean_std(values):
        values = list(values)
        return statistics.mean(values), statistics.stdev(values)

    lines = [
        f'| config | seeds | last {metric} mean ± std | '
        f'last - {first}, same seeds |',
        '|---|---|---|---|',
    ]
    for config, runs in seeded.items():
        mean, std = mean_std(runs.values())
        shared = [seed for seed in runs if seed in first_runs]
        gap = ''
        if config != first and len(shared) > 1:
            gap_mean, gap_std = mean_std(
                runs[seed] - first_runs[seed] for seed in shared
            )
            gap = f'{gap_mean:+.2f} ± {gap_std:.2f} ({len(shared)} seeds)'
        seeds = ', '.join(str(seed) for seed in runs)
        lines.append(
            f'| {config} | {seeds} | {mean:.2f} ± {std:.2f} | {gap} |'
        )
    return '\n'.join(lines) + '\n'


def plot_curves(rows, out_dir, metric):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    runs_of = {}
    for row in rows:
        runs_of[row['config']] = runs_of.get(row['config'], 0) + 1
    for row in rows:
        steps, values = row['curve']
        label = row['config']
        if runs_of[label] > 1:
            label += f' (seed {row["seed"]})'
        ax.plot(steps, values, marker='o', label=label)
    ax.set_xlabel('epoch')
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = osp.join(out_dir, 'accuracy_curves.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
