"""Accuracy of the distillation methods on the Fashion-MNIST CPU schedule.

    python benchmarks/fmnist_methods.py [--seeds 0 1 2] [--root DIR]
        [--methods vanilla kd hsakd samkd]

For each seed, trains the whole pipeline in ``<root>/seed<N>/`` with that
seed everywhere: the plain teacher, the teacher's self-supervised branches
(for HSAKD and SAMKD), then the student alone and each distilled student,
all with the same data and schedule. Finished runs are reused, so an
interrupted benchmark continues where it stopped. Prints each student's
last-epoch top-1 per seed and its mean and standard deviation over seeds.
"""

import argparse
import os.path as osp
import statistics
import subprocess
import sys

import mmsamkd  # noqa: F401
from mmsamkd.utils.run_results import is_finished, read_val_history

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER = 'configs/teachers/resnet14_1xb64_fmnist.py'
SSA_TEACHER = 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
METHODS = {
    'vanilla': 'configs/vanilla/resnet14-half_1xb64_fmnist.py',
    'kd': 'configs/kd/kd_resnet14_resnet14-half_1xb64_fmnist.py',
    'hsakd': 'configs/hsakd/hsakd_resnet14_resnet14-half_1xb64_fmnist.py',
    'samkd': 'configs/samkd/samkd_resnet14_resnet14-half_1xb64_fmnist.py',
}
NEEDS = {'kd': TEACHER, 'hsakd': SSA_TEACHER, 'samkd': SSA_TEACHER}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--root', default='work_dirs/fmnist_methods')
    parser.add_argument(
        '--methods', nargs='+', default=list(METHODS), choices=list(METHODS)
    )
    return parser.parse_args()


def stem(config):
    return osp.splitext(osp.basename(config))[0]


def last_checkpoint(cfg, work_dir):
    return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')


def run(config, root, seed, options):
    """Train ``config`` in ``root`` unless finished; return its work dir."""
    from mmengine.config import Config

    cfg = Config.fromfile(osp.join(REPO, config))
    work_dir = osp.join(root, stem(config))
    options = dict(options, **{'randomness.seed': seed})
    cfg.merge_from_dict(options)
    if not is_finished(work_dir, cfg):
        command = [
            sys.executable,
            osp.join(REPO, 'tools', 'train.py'),
            osp.join(REPO, config),
            '--work-dir',
            work_dir,
            '--cfg-options',
        ] + [f'{k}={v}' for k, v in options.items()]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            command.append('--resume')
        print(f'== seed {seed}: training {config}', flush=True)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return work_dir, cfg


def main():
    args = parse_args()
    results = {method: [] for method in args.methods}
    for seed in args.seeds:
        root = osp.join(args.root, f'seed{seed}')
        teacher_dir, teacher_cfg = run(TEACHER, root, seed, {})
        checkpoints = {TEACHER: last_checkpoint(teacher_cfg, teacher_dir)}
        if {'hsakd', 'samkd'} & set(args.methods):
            ssa_dir, ssa_cfg = run(
                SSA_TEACHER, root, seed, {'load_from': checkpoints[TEACHER]}
            )
            checkpoints[SSA_TEACHER] = last_checkpoint(ssa_cfg, ssa_dir)
        for method in args.methods:
            options = {}
            if method in NEEDS:
                options['model.teacher_ckpt'] = checkpoints[NEEDS[method]]
            work_dir, _ = run(METHODS[method], root, seed, options)
            history = read_val_history(work_dir)
            results[method].append(history[max(history)]['accuracy/top1'])

    print(
        f'\nFashion-MNIST CPU schedule, student resnet14-half, last-epoch '
        f'top-1 (%), seeds {args.seeds}\n'
    )
    print(
        '| method | '
        + ' | '.join(f'seed {s}' for s in args.seeds)
        + ' | mean | std |'
    )
    print('|---' * (len(args.seeds) + 3) + '|')
    for method, values in results.items():
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        print(
            f'| {method} | '
            + ' | '.join(f'{v:.2f}' for v in values)
            + f' | {statistics.mean(values):.2f} | {std:.2f} |'
        )


if __name__ == '__main__':
    main()
