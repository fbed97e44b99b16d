"""The Fashion-MNIST CPU benchmark: every method on one teacher and student.

    python benchmarks/fmnist_methods.py --split val|test [--seeds 0 1 2]
        [--methods vanilla kd hsakd samkd sskd lightskd-drg ...]
        [--configs CONFIG ...] [--root DIR] [--csv PATH] [--amp]
        [--channels-last]

The teacher and its second stages (HSAKD's self-supervised branches,
SSKD's projection head) are trained once (seed 0, the configs as shipped)
and shared by every seed and method, so a seed
changes only the student's run. Each student runs in
``<root>/<split>/seed<N>/<method>`` with that seed; its last-epoch top-1
becomes one row of the results CSV (``--csv``; a rerun replaces the row of
the same method, seed and split), with what the run cost (its wall time,
time per iteration and peak memory, from its ``run_cost.json``).

- ``--split val`` evaluates on the validation split (the last 10 000
  training images, never trained on): every choice is made here.
- ``--split test`` evaluates on the test split: final configs only.
- ``--configs`` runs other distillation configs of the same pair (a
  method's study variants, e.g. ``configs/samkd/study/samkd-<variant>_...``),
  each named by its file name's first field and given the teacher its
  model needs; send their rows to another CSV with ``--csv``.
- ``--amp`` trains the students with ``tools/train.py --amp`` (bf16 on
  this CPU), in ``<method>-amp`` dirs and rows, from the same fp32
  teachers: each row pairs with the fp32 row of its method and seed.
- ``--channels-last`` trains the students with ``channels_last=True``
  (convolutions stored channels last: fp32, summed in another order), in
  ``<method>-cl`` dirs and rows, paired the same way.

Every run is trained on ``THREADS`` CPU threads, and its row's machine
column names the processor, torch and that count: on CPU the thread count
and the processor's kernels change the order in which convolutions sum,
and 12 epochs carry the difference well past the seed noise, so a figure
reproduces to the digit only on the processor and thread count that made
it.

A finished run is reused only if its record (``run_config.json``, which
``tools/train.py`` writes) names the same config content and options,
the same teacher files, the same mmsamkd code and the same thread count:
the check ``compare.py`` makes, plus the threads. Each row names that code
(``code``: version and source digest). Otherwise the benchmark stops
rather than report a stale number.
"""

import argparse
import csv
import datetime
import fcntl
import os
import os.path as osp
import platform
import subprocess
import sys

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
from mmsamkd.comparison.runs import check_reusable
from mmsamkd.engine.hooks.run_cost_hook import read_cost
from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.run_results import (
    is_finished,
    read_record,
    read_val_history,
    training_code,
)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from results_table import COLUMNS, METHODS_CSV, markdown  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER = 'configs/teachers/resnet14_1xb64_fmnist.py'
SSA_TEACHER = 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
SSKD_TEACHER = 'configs/teachers/resnet14_sskd-head_1xb64_fmnist.py'
# the same teacher run, keeping the snapshots MS-MGANs' phases use
SNAPSHOT_TEACHER = 'configs/teachers/resnet14_snapshots_1xb64_fmnist.py'
# the teacher stage each kind of teacher classifier needs, on TEACHER
STAGE2_TEACHERS = {
    'SelfSupervisedClassifier': SSA_TEACHER,
    'SSKDClassifier': SSKD_TEACHER,
}
METHODS = {
    'vanilla': 'configs/vanilla/resnet8-quarter_1xb64_fmnist.py',
    'kd': 'configs/kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'hsakd': 'configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'samkd': 'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'sskd': 'configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'cskd': 'configs/cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'icakd': 'configs/icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    'msmgan': 'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
    # self-distillation: no teacher network
    **{
        f'lightskd-{v}': f'configs/lightskd/lightskd-{v}_resnet8-quarter_'
        '1xb64_fmnist.py'
        for v in ('drg', 'dsr', 'drg-dsr')
    },
}
# CPU threads of every run (teachers, their stages, students): one, so
# that two benchmark processes share 2 cores; changing it changes every
# figure.
THREADS = 1
# Evaluate on the validation split instead of the test split.
VAL_SPLIT = {
    'val_dataloader.dataset.split': 'val',
    'val_dataloader.dataset.test_mode': False,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--split', choices=('val', 'test'), required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--root', default='work_dirs/fmnist_methods')
    parser.add_argument(
        '--methods', nargs='+', default=list(METHODS), choices=list(METHODS)
    )
    parser.add_argument(
        '--configs',
        nargs='+',
        default=[],
        help='more configs of the same pair, named by their method field',
    )
    parser.add_argument('--csv', default=METHODS_CSV)
    parser.add_argument(
        '--amp', action='store_true', help='students in mixed precision'
    )
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='students with convolutions stored channels last',
    )
    args = parser.parse_args()
    if args.configs and '--methods' not in sys.argv:
        args.methods = []
    return args


def stem(config):
    return osp.splitext(osp.basename(config))[0]


def load_cfg(config, options):
    from mmengine.config import Config

    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.merge_from_dict(options)
    return cfg


def train(config, work_dir, options, amp=False):
    """Train ``config`` in ``work_dir`` on ``THREADS`` CPU threads (with
    ``--amp`` if ``amp``), unless it finished with ``options``.

    Returns the loaded config. Raises SystemExit when ``work_dir`` holds a
    run trained with other options (a stale number is worse than none).
    """
    cfg = load_cfg(config, options)
    if amp:  # as train.py --amp will, so that the run's record matches
        from mmsamkd.engine.optimizers import use_mixed_precision

        use_mixed_precision(cfg)
    try:  # compare.py's check: the same config content, options, inputs
        check_reusable(config, work_dir, cfg, 'accuracy/top1')
    except MmsamkdError as error:
        raise SystemExit(f'error: {error}') from None
    threads = (read_record(work_dir) or {}).get('threads')
    if threads not in (None, THREADS):
        raise SystemExit(
            f'error: {work_dir} holds a run trained on {threads} threads, '
            f'not {THREADS}: its figures differ; remove it or use another '
            '--root'
        )
    if is_finished(work_dir, cfg):
        return cfg
    os.makedirs(work_dir, exist_ok=True)
    command = [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'),
        osp.join(REPO, config),
        '--work-dir',
        work_dir,
    ]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        command.append('--resume')
    if amp:
        command.append('--amp')
    if options:
        command += ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    print(f'== training {config} in {work_dir}', flush=True)
    count = str(THREADS)
    env = dict(os.environ, OMP_NUM_THREADS=count, MKL_NUM_THREADS=count)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return cfg


def teacher_config(cfg):
    """The teacher config a distillation config's model needs, or None."""
    teacher = cfg.model.get('teacher')
    if teacher is None:
        return None
    if 'teacher_snapshots' in cfg.model:
        return SNAPSHOT_TEACHER
    return STAGE2_TEACHERS.get(str(teacher.type).split('.')[-1], TEACHER)


def cost_columns(work_dir):
    """The cost columns of a run: its wall time (s), time per training
    iteration (s) and peak memory (MiB) from its ``run_cost.json``; empty
    where the run recorded none."""
    cost = read_cost(work_dir)
    if cost is None:
        return {}
    return dict(
        train_seconds=f'{cost["seconds"]:.0f}',
        seconds_per_iter=f'{cost["seconds_per_iter"]:.3f}',
        peak_mb=f'{cost["peak_mb"]:.0f}',
    )


def last_top1(work_dir):
    history = read_val_history(work_dir)
    return history[max(history)]['accuracy/top1']


def arch(model):
    """Short name of a classifier config's backbone, as config names say."""
    backbone = model.backbone
    width = backbone.get('widen_factor', 1)
    return backbone.arch + {1: '', 0.5: '-half', 0.25: '-quarter'}[width]


def train_images(cfg):
    """How many training images a run's config trains on: its first
    ``indices`` images, or as many as it lists."""
    indices = cfg.train_dataloader.dataset.get('indices')
    if indices is None:
        raise SystemExit(
            f'{cfg.filename}: the benchmark trains on a subset; set '
            'train_dataloader.dataset.indices'
        )
    return indices if isinstance(indices, int) else len(indices)


def cpu_name():
    """The processor's model name, where the system tells it."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'CPU'


def machine():
    """The machine column: processor, torch and the threads per run."""
    return (
        f'{cpu_name()} ({platform.machine()}), {os.cpu_count()} cores, '
        f'torch {__import__("torch").__version__}, {THREADS} thread per run'
    )


def write_rows(path, rows):
    """Add ``rows`` to the CSV, replacing those of the same run.

    Holds an exclusive lock on ``<path>.lock`` meanwhile, so that several
    benchmark processes (one per core) can share one CSV.
    """
    key = ('method', 'seed', 'split')
    new_keys = {tuple(str(r[k]) for k in key) for r in rows}
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = []
        if osp.isfile(path):
            with open(path, newline='', encoding='utf-8') as f:
                kept = [
                    r
                    for r in csv.DictReader(f)
                    if tuple(r[k] for k in key) not in new_keys
                ]
        with open(path, 'w', newline='', encoding='utf-8') as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            writer.writerows(kept + rows)
    return kept + rows


def main():
    args = parse_args()
    split_options = VAL_SPLIT if args.split == 'val' else {}
    root = osp.join(args.root, args.split)
    teachers = osp.join(args.root, 'teachers')
    teacher_cfg = train(TEACHER, osp.join(teachers, stem(TEACHER)), {})
    checkpoint = {
        TEACHER: osp.join(
            teachers,
            stem(TEACHER),
            f'epoch_{teacher_cfg.train_cfg.max_epochs}.pth',
        )
    }
    runs = {m: METHODS[m] for m in args.methods}
    for config in args.configs:
        config = osp.relpath(osp.abspath(config), REPO)
        runs[stem(config).split('_')[0]] = config
    teacher_of = {m: teacher_config(load_cfg(c, {})) for m, c in runs.items()}
    for stage2 in STAGE2_TEACHERS.values():
        if stage2 not in teacher_of.values():
            continue
        stage2_cfg = train(
            stage2,
            osp.join(teachers, stem(stage2)),
            {'load_from': checkpoint[TEACHER]},
        )
        checkpoint[stage2] = osp.join(
            teachers,
            stem(stage2),
            f'epoch_{stage2_cfg.train_cfg.max_epochs}.pth',
        )
    snapshots = {}
    if SNAPSHOT_TEACHER in teacher_of.values():
        snapshot_dir = osp.join(teachers, stem(SNAPSHOT_TEACHER))
        train(SNAPSHOT_TEACHER, snapshot_dir, {})
        for name, config in runs.items():
            if teacher_of[name] == SNAPSHOT_TEACHER:
                wanted = load_cfg(config, {}).model.teacher_snapshots
                snapshots[name] = [
                    osp.join(snapshot_dir, osp.basename(p)) for p in wanted
                ]
    today = datetime.date.today().isoformat()
    # every run reused or trained here is of the installed code
    # (check_reusable refuses the rest)
    common = dict(
        teacher=arch(teacher_cfg.model),
        date=today,
        machine=machine(),
        code=training_code(),
    )
    all_rows = []
    if args.split == 'test' and args.methods:
        # the teacher is evaluated on the test split by its own config
        all_rows = write_rows(
            args.csv,
            [
                dict(
                    common,
                    **cost_columns(osp.join(teachers, stem(TEACHER))),
                    method='teacher',
                    seed=teacher_cfg.randomness.seed,
                    split='test',
                    top1=f'{last_top1(osp.join(teachers, stem(TEACHER))):.2f}',
                    epochs=teacher_cfg.train_cfg.max_epochs,
                    train_images=train_images(teacher_cfg),
                    student=arch(teacher_cfg.model),
                )
            ],
        )
    for seed in args.seeds:
        for name, config in runs.items():
            options = dict(split_options, **{'randomness.seed': seed})
            if name in snapshots:
                options['model.teacher_snapshots'] = snapshots[name]
                options['model.teacher_ckpt'] = snapshots[name][0]
            elif teacher_of[name]:
                options['model.teacher_ckpt'] = checkpoint[teacher_of[name]]
            if args.channels_last:
                options['channels_last'] = True
            row_name = name + '-amp' * args.amp + '-cl' * args.channels_last
            work_dir = osp.join(root, f'seed{seed}', row_name)
            cfg = train(config, work_dir, options, args.amp)
            student = cfg.model.get('architecture', cfg.model)
            all_rows = write_rows(
                args.csv,
                [
                    dict(
                        common,
                        **cost_columns(work_dir),
                        method=row_name,
                        seed=seed,
                        split=args.split,
                        top1=f'{last_top1(work_dir):.2f}',
                        epochs=cfg.train_cfg.max_epochs,
                        train_images=train_images(cfg),
                        student=arch(student),
                    )
                ],
            )
    print(f'\n{args.csv}, split {args.split}:\n')
    print(markdown(all_rows, args.split))


if __name__ == '__main__':
    main()
