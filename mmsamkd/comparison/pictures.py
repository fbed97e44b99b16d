"""The pictures of a comparison: validation curves, accuracy against
training time."""

import os.path as osp
import statistics


def _pyplot():
    import matplotlib

    matplotlib.use('Agg')  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_curves(rows, out_dir, metric):
    """``accuracy_curves.png``: each run's validation ``metric`` by epoch.
    A run validated once (a frozen-stage teacher trained for a few epochs)
    is a labelled marker, not a line of one point."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    runs_of = {}
    for row in rows:
        runs_of[row['config']] = runs_of.get(row['config'], 0) + 1
    for row in rows:
        steps, values = row['curve']
        label = row['config']
        if runs_of[label] > 1:
            label += f' (seed {row["seed"]})'
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
    ax.set_xlabel('epoch')
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = osp.join(out_dir, 'accuracy_curves.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_accuracy_vs_cost(rows, out_dir, metric):
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
