"""The pictures of a comparison: validation curves, accuracy against
training time, reliability diagrams."""

import math
import os.path as osp
import statistics
from typing import Optional, Sequence

from mmsamkd.evaluation.transfer_metric import calibration_error


def _pyplot():
    import matplotlib

    matplotlib.use('Agg')  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_curves(rows: Sequence[dict], out_dir: str, metric: str) -> str:
    """``accuracy_curves.png``: each run's validation ``metric`` by epoch,
    or by iteration where its loop counts iterations (each such run says
    so in its label when the two kinds share the axis). A run validated
    once (a frozen-stage teacher trained for a few epochs) is a labelled
    marker, not a line of one point."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    runs_of = {}
    for row in rows:
        runs_of[row['config']] = runs_of.get(row['config'], 0) + 1
    units = sorted({row['step_unit'] for row in rows})
    for row in rows:
        steps, values = row['curve']
        label = row['config']
        if runs_of[label] > 1:
            label += f' (seed {row["seed"]})'
        if len(units) > 1 and row['step_unit'] != 'epoch':
            label += f' (by {row["step_unit"]})'
        if len(steps) > 1:
            ax.plot(steps, values, marker='o', markersize=3, label=label)
            continue
        ax.plot(steps, values, marker='*', markersize=12, linestyle='')
        ax.annotate(
            label,
            (steps[0], values[0]),
            textcoords='offset points',
            xytext=(6, -10),
            fontsize=7,
        )
    ax.set_xlabel(' or '.join(units))
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = osp.join(out_dir, 'accuracy_curves.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_accuracy_vs_cost(
    rows: Sequence[dict], out_dir: str, metric: str
) -> Optional[str]:
    """``accuracy_vs_cost.png``: each config's last ``metric`` against its
    training time, the mean over its seeds with their std as error bars;
    None when no run recorded its time (``run_cost.json``)."""
    per_config = {}
    for row in rows:
        if row['train_seconds'] is not None:
            runs = per_config.setdefault(row['config'], ([], []))
            runs[0].append(row['train_seconds'] / 60)
            runs[1].append(row['last'])
    if not per_config:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for config, (minutes, values) in per_config.items():
        spread = statistics.stdev if len(values) > 1 else lambda v: 0
        x, y = statistics.mean(minutes), statistics.mean(values)
        ax.errorbar(
            x,
            y,
            xerr=spread(minutes),
            yerr=spread(values),
            marker='o',
            capsize=3,
        )
        ax.annotate(
            config,
            (x, y),
            textcoords='offset points',
            xytext=(6, 4),
            fontsize=7,
        )
    ax.set_xlabel('training time (min, mean over seeds)')
    ax.set_ylabel(f'last {metric} (mean ± std over seeds)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = osp.join(out_dir, 'accuracy_vs_cost.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def pooled_bins(diagrams: Sequence[list]) -> list:
    """One reliability diagram from several runs' (seeds') diagrams of the
    same bins: counts add, mean confidence and accuracy are weighted by
    them."""
    pooled = []
    for bins in zip(*diagrams):
        count = sum(n for n, _, _ in bins)
        if not count:
            pooled.append((0, None, None))
            continue
        pooled.append(
            (
                count,
                sum(n * c for n, c, _ in bins if n) / count,
                sum(n * a for n, _, a in bins if n) / count,
            )
        )
    return pooled


def plot_reliability(rows: Sequence[dict], out_dir: str) -> Optional[str]:
    """``reliability.png``: one reliability diagram per config (its seeds
    pooled), from the last validation of each run: the accuracy of each
    confidence bin as a bar, the teacher's as points, the diagonal a
    calibrated model would follow. None when no run wrote its diagram
    (``reliability_val.json``)."""
    per_config = {}
    for row in rows:
        if row.get('reliability'):
            per_config.setdefault(row['config'], []).append(row['reliability'])
    if not per_config:
        return None
    plt = _pyplot()
    columns = min(len(per_config), 3)
    lines = math.ceil(len(per_config) / columns)
    fig, axes = plt.subplots(
        lines,
        columns,
        figsize=(3.4 * columns, 3.2 * lines),
        squeeze=False,
    )
    for ax in axes.flat[len(per_config) :]:
        ax.axis('off')
    for ax, (config, diagrams) in zip(axes.flat, per_config.items()):
        student = pooled_bins([d['student'] for d in diagrams])
        width = 1 / len(student)
        centres = [(b + 0.5) * width for b in range(len(student))]
        teachers = [d['teacher'] for d in diagrams if d.get('teacher')]
        ax.bar(
            [x for x, (n, _, _) in zip(centres, student) if n],
            [a for n, _, a in student if n],
            width=width * 0.9,
            color='tab:blue',
            label='student' if teachers else 'model',
        )
        if teachers:
            teacher = pooled_bins(teachers)
            ax.plot(
                [x for x, (n, _, _) in zip(centres, teacher) if n],
                [a for n, _, a in teacher if n],
                'o',
                color='tab:orange',
                markersize=4,
                label='teacher',
            )
        ax.plot([0, 1], [0, 1], '--', color='grey', linewidth=1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        runs = f', {len(diagrams)} seeds' if len(diagrams) > 1 else ''
        ece = calibration_error(student)
        ax.set_title(f'{config}{runs}\nECE {ece:.2f} %', fontsize=7)
        ax.set_xlabel('confidence', fontsize=8)
        ax.set_ylabel('accuracy', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc='upper left')
    fig.tight_layout()
    path = osp.join(out_dir, 'reliability.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
