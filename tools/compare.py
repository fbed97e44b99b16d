"""Train (or collect) several configs and tabulate their accuracies.

    python tools/compare.py CONFIG [CONFIG ...] [--work-dir-root work_dirs]
        [--out-dir DIR] [--collect-only] [--jobs N] [--seeds S [S ...]]
        [--cfg-options k=v ...]

Configs run in the order given, each in ``<work-dir-root>/<config name>``
(the default work dir of ``tools/train.py``, so a teacher listed before its
students is where their ``teacher_ckpt`` expects it; under another root,
the ``work_dirs/...`` paths of ``teacher_ckpt`` and ``load_from`` move
there too, and a path to a listed run's final checkpoint follows that
run's schedule under ``--cfg-options``). A finished run is collected, not
retrained; an unfinished one
is resumed; either only if its ``run_config.json`` says it was trained
with the same settings and from the same teacher and ``load_from`` files
(else the command stops and says so, as it does for a finished run whose
teacher run is to be trained again). The table
names each run's dataset and seed, and configs trained on different data
are refused unless ``--mixed-datasets``. Writes
``results.md``, ``results.csv`` and ``accuracy_curves.png`` to the output
folder and prints the Markdown table.

``--seeds S ...`` trains every run that no other listed run reads (the
students) once per seed, in ``<work-dir-root>/seed<S>/<config name>``;
the runs they read (teachers, frozen-teacher stages) are trained once and
shared by all seeds. A second table gives each such config's mean and std
over the seeds and its gap from the first one, seed by seed: a seed starts
HSAKD and SAMKD from the same student, so the paired gap is what the
method changes, free of the spread between seeds.

``--jobs N`` trains up to N runs at once, each on ``cores / N`` threads
(small networks use cores better side by side than one run on all of
them) and, where several GPUs are visible, on a GPU of its own (job slot
``i`` gets the ``i % gpus``-th one through ``CUDA_VISIBLE_DEVICES``), with
each run's log in ``<work dir>/compare_train.log``; every 30 s it prints
where each running run stands (epoch, iteration, MMEngine's ETA, last
validation accuracy). A run starts only
after the listed runs whose work dir holds its ``teacher_ckpt`` or
``load_from``.
"""

import argparse
import csv
import glob
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.process_ownership import die_with_parent, hold_lock
from mmsamkd.utils.run_results import (
    RECORD,
    describe_dataset,
    is_finished,
    planned_length,
    read_record,
    read_val_history,
    record_mismatch,
)

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')
TEACHER_PREFIX = 'teacher.'


def parse_args():
    from mmsamkd.utils.cli import CfgOptionsAction

    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument(
        '--work-dir-root',
        default='work_dirs',
        help='where each run gets <root>/<config name> (default: work_dirs)',
    )
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
        '--seeds',
        type=int,
        nargs='+',
        help='train every run that no other listed run reads (the '
        'students) once per seed, in <root>/seed<N>/; add their mean, std '
        'and paired gaps to the table',
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


def inputs_read(cfg):
    """``{option: path or list of paths}``: the files a run starts from
    (its ``load_from``, teacher checkpoint and MS-MGANs' snapshots)."""
    model = cfg.get('model', {})
    return {
        'load_from': cfg.get('load_from'),
        'model.teacher_ckpt': model.get('teacher_ckpt'),
        'model.teacher_snapshots': list(model.get('teacher_snapshots') or []),
    }


def same_root_paths(cfg, work_dir_root):
    """Options pointing the files a config reads into the root.

    Configs name the runs they read as ``work_dirs/<run>/...`` (the default
    root); under another ``--work-dir-root`` those runs are there instead.
    """
    if osp.normpath(work_dir_root) == DEFAULT_ROOT:
        return {}

    def moved(path):
        parts = str(path).split('/')
        if parts[0] != DEFAULT_ROOT:
            return path
        return '/'.join([work_dir_root.rstrip('/')] + parts[1:])

    options = {}
    for key, value in inputs_read(cfg).items():
        if isinstance(value, list):
            if [moved(p) for p in value] != value:
                options[key] = [moved(p) for p in value]
        elif value and moved(value) != value:
            options[key] = moved(value)
    return options


def final_checkpoint(cfg):
    """The file name of the last checkpoint a run of ``cfg`` saves."""
    train_cfg = cfg.train_cfg
    unit = 'epoch' if 'max_epochs' in train_cfg else 'iter'
    return f'{unit}_{planned_length(cfg)}.pth'


def follow_final_checkpoints(loaded):
    """Point each run that reads another listed run's final checkpoint
    (a student's ``teacher_ckpt``, a teacher stage's ``load_from``) at the
    final checkpoint that run saves under this command's options.

    Configs name it as the shipped schedule leaves it (``epoch_12.pth``);
    a comparison shortened with ``--cfg-options train_cfg.max_epochs=1``
    saves ``epoch_1.pth`` instead. Snapshot lists name chosen epochs and
    are left as they are.
    """
    from mmengine.config import Config

    finals = {}
    for config, work_dir, cfg, _ in loaded:
        shipped = final_checkpoint(Config.fromfile(config))
        finals[osp.abspath(work_dir)] = (shipped, final_checkpoint(cfg))
    for _, _, cfg, options in loaded:
        for key, path in inputs_read(cfg).items():
            if not path or isinstance(path, list):
                continue
            folder, name = osp.split(osp.abspath(str(path)))
            shipped, now = finals.get(folder, (None, None))
            if name == shipped != now:
                options[key] = osp.join(osp.dirname(str(path)), now)
                cfg.merge_from_dict({key: options[key]})


def option_text(value):
    """A value as ``--cfg-options`` reads it (a list without spaces)."""
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(str(v) for v in value) + ']'
    return str(value)


def train_command(config, work_dir, cfg_options):
    command = [sys.executable, TRAIN_SCRIPT, config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        command.append('--resume')
    if cfg_options:
        command += ['--cfg-options'] + [
            f'{key}={option_text(value)}' for key, value in cfg_options.items()
        ]
    return command


def depends_on(cfg, work_dir):
    """Whether ``cfg`` reads a file (teacher, snapshot, weights) from
    ``work_dir``."""
    inside = osp.abspath(work_dir) + os.sep
    paths = []
    for value in inputs_read(cfg).values():
        paths += value if isinstance(value, list) else [value]
    return any(
        path and osp.abspath(str(path)).startswith(inside) for path in paths
    )


def visible_gpus():
    """The GPUs a child process may use, as ``CUDA_VISIBLE_DEVICES`` names
    them (indices or UUIDs); none on a CPU machine."""
    import torch

    if not torch.cuda.is_available():
        return []
    names = os.environ.get('CUDA_VISIBLE_DEVICES')
    if names is None:
        return [str(i) for i in range(torch.cuda.device_count())]
    return [name.strip() for name in names.split(',') if name.strip()]


PROGRESS_SECONDS = 30
_TRAIN_LINE = re.compile(
    r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+)'
)
_VAL_LINE = re.compile(r'Epoch\(val\).*?accuracy/top1: ([\d.]+)')


def progress_line(config, work_dir, cfg):
    """Where a run that logs to ``compare_train.log`` stands: its epoch
    and iteration, MMEngine's ETA and its last validation accuracy."""
    name = osp.splitext(osp.basename(config))[0]
    try:
        with open(osp.join(work_dir, 'compare_train.log'), 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            tail = f.read().decode('utf-8', 'replace')
    except OSError:
        return f'   {name}: starting'
    trains = _TRAIN_LINE.findall(tail)
    vals = _VAL_LINE.findall(tail)
    if not trains:
        return f'   {name}: starting'
    epoch, it, per_epoch, eta = trains[-1]
    line = (
        f'   {name}: epoch {epoch}/{planned_length(cfg)}, '
        f'iteration {it}/{per_epoch}, eta {eta}'
    )
    return line + (f', last val top-1 {vals[-1]}' if vals else '')


def train_all(runs, cfg_options, jobs, run_options=None):
    """Train ``[(config, work_dir, cfg)]``, up to ``jobs`` at once.

    A run waits for the runs before it that it depends on (see
    :func:`depends_on`); a failure stops the queue after the runs in
    flight end. With ``jobs > 1``, each of the ``jobs`` slots keeps one
    visible GPU, so that runs side by side do not all land on the first.
    """
    env = dict(os.environ)
    gpus = visible_gpus() if jobs > 1 else []
    if jobs > 1:
        env.setdefault('OMP_NUM_THREADS', str(max(1, os.cpu_count() // jobs)))
    waiting = list(range(len(runs)))
    running, done, failed = {}, set(), []
    free_slots = list(range(jobs))
    last_progress = time.monotonic()
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
            slot = free_slots.pop(0)
            run_env = dict(env)
            if gpus:
                run_env['CUDA_VISIBLE_DEVICES'] = gpus[slot % len(gpus)]
            log = None  # one run at a time prints to the terminal
            if jobs > 1:
                os.makedirs(work_dir, exist_ok=True)
                log = open(osp.join(work_dir, 'compare_train.log'), 'a')
            process = subprocess.Popen(
                command,
                env=run_env,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                preexec_fn=die_with_parent,  # no trainer outlives compare.py
            )
            running[index] = (process, log, slot)
        if not running:
            break  # what is left waits on a failed run
        time.sleep(0.5)
        if jobs > 1 and time.monotonic() - last_progress >= PROGRESS_SECONDS:
            # the runs log to files: say where they stand
            last_progress = time.monotonic()
            for index in sorted(running):
                print(progress_line(*runs[index]), flush=True)
        for index, (process, log, slot) in list(running.items()):
            if process.poll() is None:
                continue
            del running[index]
            free_slots.append(slot)
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
        if jobs > 1:
            where = f'its output is in {work_dir}/compare_train.log'
        else:
            where = 'its error is printed above'
        if glob.glob(osp.join(work_dir, '*.pth')):
            fix = 'Rerun the same command to resume it'
        else:
            fix = 'It saved no checkpoint: fix the cause, then rerun'
        raise MmsamkdError(f'training {config} failed; {where}. {fix}.')


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


def seeded_runs(loaded, work_dir_root, seeds):
    """Expand ``[(config, work_dir, cfg, options)]`` over ``seeds``.

    A run that another listed run reads (its teacher, its ``load_from``)
    is trained once and shared, as a published teacher is; every other
    run is trained once per seed in ``<root>/seed<N>/<config name>``.
    """
    import copy

    sources = {
        work_dir
        for _, work_dir, _, _ in loaded
        if any(depends_on(other, work_dir) for _, _, other, _ in loaded)
    }
    for config, work_dir, cfg, options in loaded:
        if not seeds or work_dir in sources:
            yield config, work_dir, cfg, options
            continue
        for seed in seeds:
            seed_option = {'randomness.seed': seed}
            seeded = copy.deepcopy(cfg)
            seeded.merge_from_dict(seed_option)
            yield (
                config,
                osp.join(work_dir_root, f'seed{seed}', osp.basename(work_dir)),
                seeded,
                dict(options, **seed_option),
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
    seeds=None,
):
    from mmengine.config import Config

    loaded = []
    for config in configs:
        if not osp.isfile(config):
            raise MmsamkdError(f'config {config!r} does not exist')
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)  # e.g. a shorter schedule
        work_dir = osp.join(
            work_dir_root, osp.splitext(osp.basename(config))[0]
        )
        options = same_root_paths(cfg, work_dir_root)
        cfg.merge_from_dict(options)
        loaded.append((config, work_dir, cfg, options))
    follow_final_checkpoints(loaded)
    runs, run_options = [], {}
    for config, work_dir, cfg, options in seeded_runs(
        loaded, work_dir_root, seeds
    ):
        if work_dir in run_options:
            # two runs side by side in one dir would overwrite each other
            raise MmsamkdError(
                f'{work_dir} would hold two runs: a config or seed is '
                'listed twice (or two configs share a file name)'
            )
        run_options[work_dir] = options
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
        # a second compare.py in this root would train the same dirs
        lock = hold_lock(args.work_dir_root, 'compare.py')  # noqa: F841
        _, markdown = compare(
            args.configs,
            args.work_dir_root,
            out_dir,
            args.metric,
            args.collect_only,
            args.cfg_options,
            args.jobs,
            args.mixed_datasets,
            args.seeds,
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
