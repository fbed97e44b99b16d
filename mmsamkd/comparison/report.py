"""The tables of a comparison: ``results.md`` and ``results.csv``."""

import csv
import os
import os.path as osp
import statistics
from typing import Dict, Optional, Sequence

from mmengine.config import Config

from mmsamkd.engine.hooks.reliability_hook import read_reliability
from mmsamkd.engine.hooks.unplayed_stages import unplayed_in_config
from mmsamkd.utils.run_results import (
    counts_epochs,
    describe_evaluation,
    read_last_lr,
    read_record,
)
from mmsamkd.utils.training_settings import late_milestones_note

from .cost import run_cost

TEACHER_PREFIX = 'teacher.'


TRANSFER = {  # column: the TransferMetric key of the last validation
    'agree %': 'transfer/agreement',
    'KL(t‖s)': 'transfer/kl',
    'ECE %': 'transfer/ece',
    'teacher ECE %': 'transfer/teacher_ece',
}


def summarize(
    config: str,
    work_dir: str,
    history: Dict[int, dict],
    metric: str,
    cfg: Config,
    lower_is_better: bool = False,
) -> dict:
    """A row of the table; ``best`` is the lowest value of ``metric``
    where ``lower_is_better`` (a calibration error, a KL)."""
    steps = sorted(history)
    values = [history[s][metric] for s in steps]
    last = history[steps[-1]]
    teacher = last.get(TEACHER_PREFIX + metric)
    record = read_record(work_dir) or {}
    reliability = read_reliability(work_dir)
    if reliability and steps[-1] not in (
        reliability['epoch'],
        reliability['iter'],
    ):
        reliability = None  # from another pass than the last one logged
    return dict(
        config=osp.splitext(osp.basename(config))[0],
        method=osp.basename(osp.dirname(osp.abspath(config))),
        dataset=record.get('dataset', '?'),
        evaluation=describe_evaluation(cfg),
        # the batch of a step shows a run of one config on more processes
        # where the learning rate ended shows a schedule cut short, and a
        # schedule shorter than the method's stages is another method
        schedule=', '.join(
            str(part)
            for part in (
                record.get('schedule', '?') + ended_at(work_dir),
                record.get('batch'),
                scaled_lr_note(record),
                unplayed_in_config(cfg),
                late_milestones_note(cfg),
            )
            if part
        ),
        seed=record.get('seed', '?'),
        # the mmsamkd code that trained it (--collect-only mixes codes)
        code=record.get('code', ''),
        best=min(values) if lower_is_better else max(values),
        lower_is_better=lower_is_better,
        last=values[-1],
        teacher=teacher,
        steps=steps[-1],
        curve=(steps, values),
        # what a curve's step counts (MMEngine logs validations by epoch
        # under an epoch loop, by iteration under an iteration loop)
        step_unit='epoch' if counts_epochs(cfg) else 'iteration',
        transfer={column: last.get(key) for column, key in TRANSFER.items()},
        reliability=reliability,
        **run_cost(work_dir, cfg),
    )


def ended_at(work_dir: str) -> str:
    """`` → 0.00085``: the learning rate of the run's last logged step."""
    lr = read_last_lr(work_dir)
    return '' if lr is None else f' → {lr:.2g}'


def scaled_lr_note(record: dict) -> str:
    """``'lr ×2 by auto_scale_lr'`` where the run's learning rates were
    its config's times a factor (records before the factor lack it)."""
    scale = record.get('lr_scale', 1)
    return '' if scale == 1 else f'lr ×{scale:g} by auto_scale_lr'


def write_table(rows: Sequence[dict], out_dir: str, metric: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    header = [
        'config',
        'method',
        'dataset',
        'evaluated on',
        'schedule',
        'seed',
        'code',
        f'best {metric}'
        + (' (lowest)' if any(r.get('lower_is_better') for r in rows) else ''),
        f'last {metric}',
        'teacher',
        step_kind(rows),
        'train time',
        's/iter',
        f'peak {memory_kind(rows)} MiB',
        'params (M)',
        'MFLOPs',
        *TRANSFER,
    ]

    def cells(row):
        teacher = '' if row['teacher'] is None else f'{row["teacher"]:.2f}'
        return [
            row['config'],
            row['method'],
            row['dataset'],
            row['evaluation'],
            row['schedule'],
            str(row['seed']),
            row['code'],
            f'{row["best"]:.2f}',
            f'{row["last"]:.2f}',
            teacher,
            steps_cell(row, rows),
            duration(row['train_seconds']),
            number(row['seconds_per_iter'], '.3f'),
            number(row['peak_mb'], '.0f'),
            number(row['parameters'] and row['parameters'] / 1e6, '.3f'),
            number(row['flops'] and row['flops'] / 1e6, '.1f'),
            *(transfer_cell(row, column) for column in TRANSFER),
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


def transfer_cell(row: dict, column: str) -> str:
    spec = '.3f' if column.startswith('KL') else '.2f'
    return number(row.get('transfer', {}).get(column), spec)


def number(value: Optional[float], spec: str) -> str:
    return '' if value is None else format(value, spec)


def duration(seconds: Optional[float]) -> str:
    """``H:MM:SS``, as MMEngine writes its ETA."""
    if seconds is None:
        return ''
    minutes, secs = divmod(round(seconds), 60)
    return f'{minutes // 60}:{minutes % 60:02d}:{secs:02d}'


def step_kind(rows: Sequence[dict]) -> str:
    """The header of the column of how far each run trained: ``epochs``,
    ``iterations``, or ``epochs / iterations`` where both kinds of run
    share the table (each iteration count then says so)."""
    units = {row.get('step_unit', 'epoch') for row in rows}
    if len(units) > 1:
        return 'epochs / iterations'
    return 'iterations' if units == {'iteration'} else 'epochs'


def steps_cell(row: dict, rows: Sequence[dict]) -> str:
    mixed = step_kind(rows) == 'epochs / iterations'
    iterations = mixed and row.get('step_unit') == 'iteration'
    return f'{row["steps"]} iters' if iterations else str(row['steps'])


def memory_kind(rows: Sequence[dict]) -> str:
    """``'CUDA'`` (allocated on the GPU), ``'RSS'`` (a CPU process's peak
    resident set) or both, as the runs measured it."""
    kinds = {row['memory'] for row in rows if row['memory']}
    names = sorted({'cuda': 'CUDA', 'rss': 'RSS'}[k] for k in kinds)
    return '/'.join(names) or 'memory'


def seed_summary(rows: Sequence[dict], metric: str) -> str:
    """The Markdown table of the configs run on several seeds: the mean and
    std of their last-epoch ``metric`` over the seeds, and each one's gap
    from the first such config, seed by seed (paired, so the spread
    between seeds drops out); and the mean training time of a seed."""
    per_config, seconds = {}, {}
    for row in rows:
        per_config.setdefault(row['config'], {})[row['seed']] = row['last']
        if row['train_seconds'] is not None:
            seconds.setdefault(row['config'], []).append(row['train_seconds'])
    seeded = {c: v for c, v in per_config.items() if len(v) > 1}
    if not seeded:
        return ''
    first, first_runs = next(iter(seeded.items()))

    def mean_std(values):
        values = list(values)
        return statistics.mean(values), statistics.stdev(values)

    lines = [
        f'| config | seeds | last {metric} mean ± std | '
        f'last - {first}, same seeds | train time, mean |',
        '|---|---|---|---|---|',
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
        spent = seconds.get(config)
        spent = duration(statistics.mean(spent)) if spent else ''
        lines.append(
            f'| {config} | {seeds} | {mean:.2f} ± {std:.2f} | {gap} | '
            f'{spent} |'
        )
    return '\n'.join(lines) + '\n'
