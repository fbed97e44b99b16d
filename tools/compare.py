"""Train (or collect) several configs and tabulate their accuracies.

    python tools/compare.py CONFIG [CONFIG ...] [--work-dir-root work_dirs]
        [--out-dir DIR] [--collect-only] [--cfg-options k=v ...]

Configs run in the order given, each in ``<work-dir-root>/<config name>``
(the default work dir of ``tools/train.py``, so a teacher listed before its
students is where their ``teacher_ckpt`` expects it). A finished run is
collected, not retrained; an unfinished one is resumed. Writes
``results.md``, ``results.csv`` and ``accuracy_curves.png`` to the output
folder and prints the Markdown table.
"""

import argparse
import csv
import os
import os.path as osp
import subprocess
import sys

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.run_results import is_finished, read_val_history

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')
TEACHER_PREFIX = 'teacher.'


def parse_args():
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--work-dir-root', default='work_dirs')
    parser.add_argument(
        '--out-dir', help='where results go (default: <root>/compare)'
    )
    parser.add_argument(
        '--metric', default='accuracy/top1', help='validation metric'
    )
    parser.add_argument(
        '--collect-only',
        action='store_true',
        help='only read finished runs; never train',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides passed to every training run',
    )
    return parser.parse_args()


def train(config, work_dir, cfg_options):
    command = [sys.executable, TRAIN_SCRIPT, config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        command.append('--resume')
    if cfg_options:
        command += ['--cfg-options'] + [
            f'{key}={value}' for key, value in cfg_options.items()
        ]
    print(f'== training {config} in {work_dir}', flush=True)
    if subprocess.call(command) != 0:
        raise MmsamkdError(
            f'training {config} failed; its log is under '
            f'{work_dir}. Rerun the same command to resume.'
        )


def summarize(config, history, metric):
    steps = sorted(history)
    values = [history[s][metric] for s in steps]
    teacher = history[steps[-1]].get(TEACHER_PREFIX + metric)
    return dict(
        config=osp.splitext(osp.basename(config))[0],
        method=osp.basename(osp.dirname(osp.abspath(config))),
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
            f'{row["best"]:.2f}',
            f'{row["last"]:.2f}',
            teacher,
            str(row['steps']),
        ]

    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cells(row)) + ' |' for row in rows]
    markdown = '\n'.join(lines) + '\n'
    with open(osp.join(out_dir, 'results.md'), 'w', encoding='utf-8') as f:
        f.write(markdown)
    with open(
        osp.join(out_dir, 'results.csv'), 'w', newline='', encoding='utf-8'
    ) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(cells(row) for row in rows)
    return markdown


def plot_curves(rows, out_dir, metric):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        steps, values = row['curve']
        ax.plot(steps, values, marker='o', label=row['config'])
    ax.set_xlabel('epoch')
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = osp.join(out_dir, 'accuracy_curves.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def compare(
    configs,
    work_dir_root,
    out_dir,
    metric,
    collect_only=False,
    cfg_options=None,
):
    from mmengine.config import Config

    rows = []
    for config in configs:
        if not osp.isfile(config):
            raise MmsamkdError(f'config {config!r} does not exist')
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)  # e.g. a shorter schedule
        work_dir = osp.join(
            work_dir_root, osp.splitext(osp.basename(config))[0]
        )
        if not is_finished(work_dir, cfg, metric):
            if collect_only:
                raise MmsamkdError(
                    f'{config} has no finished run in {work_dir}; drop '
                    '--collect-only to train it'
                )
            train(config, work_dir, cfg_options)
        history = read_val_history(work_dir, metric)
        if not history:
            raise MmsamkdError(f'{work_dir} holds no {metric!r} records')
        rows.append(summarize(config, history, metric))
    markdown = write_table(rows, out_dir, metric)
    plot_curves(rows, out_dir, metric)
    return rows, markdown


def main():
    args = parse_args()
    out_dir = args.out_dir or osp.join(args.work_dir_root, 'compare')
    try:
        _, markdown = compare(
            args.configs,
            args.work_dir_root,
            out_dir,
            args.metric,
            args.collect_only,
            args.cfg_options,
        )
    except MmsamkdError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    print(
        f'\nResults ({out_dir}/results.md, results.csv, '
        'accuracy_curves.png):\n'
    )
    print(markdown)


if __name__ == '__main__':
    main()
