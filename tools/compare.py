"""Train (or collect) several configs and tabulate their accuracies.

    python tools/compare.py CONFIG [CONFIG ...] [--work-dir-root work_dirs]
        [--out-dir DIR] [--collect-only] [--jobs N] [--cfg-options k=v ...]

Configs run in the order given, each in ``<work-dir-root>/<config name>``
(the default work dir of ``tools/train.py``, so a teacher listed before its
students is where their ``teacher_ckpt`` expects it; under another root,
the ``work_dirs/...`` paths of ``teacher_ckpt`` and ``load_from`` move
there too). A finished run is collected, not retrained; an unfinished one
is resumed; either only if its ``run_config.json`` says it was trained
with the same settings and from the same teacher and ``load_from`` files
(else the command stops and says so, as it does for a finished run whose
teacher run is to be trained again). The table
names each run's dataset and seed, and configs trained on different data
are refused unless ``--mixed-datasets``. Writes
``results.md``, ``results.csv`` and ``accuracy_curves.png`` to the output
folder and prints the Markdown table.

``--jobs N`` trains up to N runs at once, each on ``cores / N`` threads
(small networks use cores better side by side than one run on all of
them), with each run's log in ``<work dir>/compare_train.log``. A run
starts only after the listed runs whose work dir holds its
``teacher_ckpt`` or ``load_from``.
"""

import argparse
import csv
import os
import os.path as osp
import subprocess
import sys
import time

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.run_results import (
    RECORD,
    describe_dataset,
    is_finished,
    read_record,
    read_val_history,
    record_mismatch,
)

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')
TEACHER_PREFIX = 'teacher.'


def parse_args():
    from mmsamkd.utils.cli import CfgOptionsAction

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
        '--jobs', type=int, default=1, help='runs trained at once'
    )
    parser.add_argument(
        '--mixed-datasets',
        action='store_true',
        help='allow configs trained on different data in one table',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='overrides passed to every training run',
    )
    return parser.parse_args()


DEFAULT_ROOT = 'work_dirs'


def same_root_paths(cfg, work_dir_root):
    """Options pointing a config's teacher and ``load_from`` into the root.

    Configs name the runs they read as ``work_dirs/<run>/...`` (the default
    root); under another ``--work-dir-root`` those runs are there instead.
    """
    if osp.normpath(work_dir_root) == DEFAULT_ROOT:
        return {}
    options = {}
    model = cfg.get('model', {})
    for key, path in (
        ('load_from', cfg.get('load_from')),
        ('model.teacher_ckpt', model.get('teacher_ckpt')),
    ):
        parts = str(path).split('/') if path else []
        if parts and parts[0] == DEFAULT_ROOT:
            options[key] = '/'.join([work_dir_root.rstrip('/')] + parts[1:])
    return options


def train_command(config, work_dir, cfg_options):
    command = [sys.executable, TRAIN_SCRIPT, config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        command.append('--resume')
    if cfg_options:
        command += ['--cfg-options'] + [
            f'{key}={value}' for key, value in cfg_options.items()
        ]
    return command


def depends_on(cfg, work_dir):
    """Whether ``cfg`` reads its teacher or weights from ``work_dir``."""
    model = cfg.get('model', {})
    inside = osp.abspath(work_dir) + os.sep
    return any(
        path and osp.abspath(str(path)).startswith(inside)
        for path in (cfg.get('load_from'), model.get('teacher_ckpt'))
    )


def train_all(runs, cfg_options, jobs, run_options=None):
    """Train ``[(config, work_dir, cfg)]``, up to ``jobs`` at once.

    A run waits for the runs before it that it depends on (see
    :func:`depends_on`); a failure stops the queue after the runs in
    flight end.
    """
    env = dict(os.environ)
    if jobs > 1:
        env.setdefault('OMP_NUM_THREADS', str(max(1, os.cpu_count() // jobs)))
    waiting = list(range(len(runs)))
    running, done, failed = {}, set(), []
    while waiting or running:
        for index in list(waiting):
            needs = {
                j
                for j in range(index)
                if depends_on(runs[index][2], runs[j][1])
            }
            if failed or len(running) >= jobs or not needs <= done:
                continue
            waiting.remove(index)
            config, work_dir, _ = runs[index]
            options = dict(
                cfg_options or {}, **(run_options or {}).get(work_dir, {})
            )
            command = train_command(config, work_dir, options)
            print(f'== training {config} in {work_dir}', flush=True)
            if jobs == 1:
                running[index] = (subprocess.Popen(command, env=env), None)
                continue
            os.makedirs(work_dir, exist_ok=True)
            log = open(osp.join(work_dir, 'compare_train.log'), 'a')
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            running[index] = (process, log)
        if not running:
            break  # what is left waits on a failed run
        time.sleep(0.5)
        for index, (process, log) in list(running.items()):
            if process.poll() is None:
                continue
            del running[index]
            if log:
                log.close()
            config, work_dir, _ = runs[index]
            if process.returncode:
                failed.append(index)
            else:
                done.add(index)
                print(f'== finished {config}', flush=True)
    if failed:
        config, work_dir, _ = runs[failed[0]]
        log = ' (compare_train.log)' if jobs > 1 else ''
        raise MmsamkdError(
            f'training {config} failed; its log is under {work_dir}{log}. '
            'Rerun the same command to resume.'
        )


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


def check_reusable(config, work_dir, cfg, metric):
    """Refuse a work dir holding a run of other settings (or of unknown
    ones): its numbers would be reported as this config's."""
    record = read_record(work_dir)
    mismatch = record_mismatch(record, cfg)
    if mismatch:
        raise MmsamkdError(
            f'{work_dir} holds a run of {config} with other settings '
            f"({mismatch}); its numbers are not this run's. Use another "
            '--work-dir-root, or remove that dir to retrain.'
        )
    if record is None and read_val_history(work_dir, metric):
        raise MmsamkdError(
            f'{work_dir} holds a run without {RECORD} (not trained by '
            'tools/train.py, or before records), so its settings are '
            'unknown. Use another --work-dir-root, or remove that dir.'
        )


def check_not_ahead_of_teachers(runs, todo):
    """Refuse a finished run whose teacher (or ``load_from``) run is to be
    trained now: it was distilled from weights that are gone, and would
    be reported beside a teacher it never saw."""
    for config, work_dir, cfg in runs:
        if any(work_dir == run[1] for run in todo):
            continue
        for _, source, _ in todo:
            if depends_on(cfg, source):
                raise MmsamkdError(
                    f'{work_dir} holds a finished run of {config} trained '
                    f'from {source}, which holds no finished run now (it '
                    'was removed or changed): its numbers come from weights'
                    ' that are gone. Remove that dir to retrain it too.'
                )


def compare(
    configs,
    work_dir_root,
    out_dir,
    metric,
    collect_only=False,
    cfg_options=None,
    jobs=1,
    mixed_datasets=False,
):
    from mmengine.config import Config

    runs, run_options = [], {}
    for config in configs:
        if not osp.isfile(config):
            raise MmsamkdError(f'config {config!r} does not exist')
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)  # e.g. a shorter schedule
        work_dir = osp.join(
            work_dir_root, osp.splitext(osp.basename(config))[0]
        )
        run_options[work_dir] = same_root_paths(cfg, work_dir_root)
        cfg.merge_from_dict(run_options[work_dir])
        check_reusable(config, work_dir, cfg, metric)
        runs.append((config, work_dir, cfg))
    datasets = {describe_dataset(cfg) for _, _, cfg in runs}
    if len(datasets) > 1 and not mixed_datasets:
        raise MmsamkdError(
            'these configs train on different data '
            f'({", ".join(sorted(datasets))}): their accuracies are not '
            'comparable in one table. Compare each dataset apart, or pass '
            '--mixed-datasets.'
        )
    todo = [run for run in runs if not is_finished(run[1], run[2], metric)]
    check_not_ahead_of_teachers(runs, todo)
    if todo and collect_only:
        raise MmsamkdError(
            f'{todo[0][0]} has no finished run in {todo[0][1]}; drop '
            '--collect-only to train it'
        )
    train_all(todo, cfg_options, jobs, run_options)
    rows = []
    for config, work_dir, _ in runs:
        history = read_val_history(work_dir, metric)
        if not history:
            raise MmsamkdError(f'{work_dir} holds no {metric!r} records')
        rows.append(summarize(config, work_dir, history, metric))
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
            args.jobs,
            args.mixed_datasets,
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
