"""Cost of the adversarial methods over their baselines: step time, memory.

    python benchmarks/samkd_cost.py [--pair fmnist|cifar] [--msmgan]
        [--samples] [--batch 64] [--iters 5] [--device cpu|cuda]

Times a full training step (SAMKD: teacher and student forward, one
discriminator step, one student step, every discriminator active; HSAKD:
the same forward and one student step) on one random batch, after one
warm-up step, each method in its own process so that its peak memory is its
own. Prints ms/step, SAMKD / HSAKD time ratio (target <= 1.25) and peak
memory (CUDA: max allocated; CPU: the process's peak resident set).
``--samples`` adds SAMKD with the game on the inputs on too
(``model.samples``, epsilon 0.3: the study's ``samkd-samples0.3``).

``--msmgan`` compares KD with MS-MGANs instead, in a block phase (block 0:
its discriminator step and the student step through the first block) and
in the final phase (CE + KD), and prints the cost of one epoch of the
benchmark (``--epoch-iters``, 79 for 5000 images in batches of 64).
"""

import argparse
import json
import os.path as osp
import subprocess
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # step_cost
PAIRS = {
    'fmnist': (
        'hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        (1, 28),
    ),
    'cifar': (
        'hsakd/hsakd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'samkd/samkd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        (3, 32),
    ),
}
# the game on the inputs, on (without a stage hook every weight is 1)
SAMPLES = {'model.samples': dict(epsilon=0.3, tau=3)}
MSMGAN_PAIRS = {
    'fmnist': (
        'kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
    ),
    'cifar': (
        'kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'msmgan/msmgan_resnet32x4_resnet8x4_1xb64_cifar100.py',
    ),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pair', choices=list(PAIRS), default='fmnist')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--device', default=None)
    parser.add_argument('--msmgan', action='store_true')
    parser.add_argument('--samples', action='store_true')
    parser.add_argument('--epoch-iters', type=int, default=79)
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.samples and args.msmgan:
        parser.error('--samples times SAMKD, --msmgan MS-MGANs: pick one')
    return args


def measure(config, shape, batch, iters, device, phase=None, options=None):
    """Run in a worker process: time train_step, return figures.

    ``phase``: MS-MGANs' block (an int, or 'final') to time; ``options``:
    config options to merge."""
    import resource

    import torch
    from step_cost import build_training

    model, optim_wrapper, data = build_training(
        config, shape, batch, device, options=options, phase=phase
    )

    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize()

    model.train_step(data, optim_wrapper)  # warm-up
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    sync()
    start = time.perf_counter()
    for _ in range(iters):
        model.train_step(data, optim_wrapper)
    sync()
    seconds = (time.perf_counter() - start) / iters
    if device.startswith('cuda'):
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:  # ru_maxrss is in KiB on Linux
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(ms=seconds * 1e3, peak_mb=peak_mb)


def main():
    args = parse_args()
    if args.worker:
        config, shape, phase, options = json.loads(args.worker)
        print(
            json.dumps(
                measure(
                    config,
                    tuple(shape),
                    args.batch,
                    args.iters,
                    args.device,
                    phase,
                    options,
                )
            )
        )
        return
    import torch

    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    baseline, samkd, shape = PAIRS[args.pair]
    runs = [('HSAKD', baseline, None, {}), ('SAMKD', samkd, None, {})]
    if args.samples:
        runs.append(('SAMKD + samples', samkd, None, SAMPLES))
    if args.msmgan:
        kd, msmgan = MSMGAN_PAIRS[args.pair]
        runs = (
            ('KD', kd, None, {}),
            ('MS-MGANs, block phase', msmgan, 0, {}),
            ('MS-MGANs, final phase', msmgan, 'final', {}),
        )
    results = {}
    for name, config, phase, options in runs:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                '--worker',
                json.dumps([config, shape, phase, options]),
                '--batch',
                str(args.batch),
                '--iters',
                str(args.iters),
                '--device',
                device,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    memory = 'peak CUDA MiB' if device.startswith('cuda') else 'peak RSS MiB'
    views = '' if args.msmgan else ' (x4 rotated views)'
    print(
        f'{args.pair} pair, batch {args.batch}{views}, '
        f'{device}, {args.iters} steps after 1 warm-up\n'
    )
    steps = f'{args.epoch_iters} steps'
    print(f'| method | ms / step | s / epoch ({steps}) | {memory} |')
    print('|---|---|---|---|')
    for name, r in results.items():
        epoch = r['ms'] * args.epoch_iters / 1e3
        print(f'| {name} | {r["ms"]:.0f} | {epoch:.1f} | {r["peak_mb"]:.0f} |')
    if args.msmgan:
        for name in ('MS-MGANs, block phase', 'MS-MGANs, final phase'):
            ratio = results[name]['ms'] / results['KD']['ms']
            print(f'\n{name} / KD step time: {ratio:.2f}', end='')
        print()
        return
    ratio = results['SAMKD']['ms'] / results['HSAKD']['ms']
    print(f'\nSAMKD / HSAKD step time: {ratio:.2f} (target <= 1.25)')
    if args.samples:
        ratio = results['SAMKD + samples']['ms'] / results['HSAKD']['ms']
        print(f'SAMKD + samples / HSAKD step time: {ratio:.2f}')


if __name__ == '__main__':
    main()
