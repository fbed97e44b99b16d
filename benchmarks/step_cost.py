"""One training step of every method family, fp32 against mixed precision.

    python benchmarks/step_cost.py [--pair cifar|fmnist] [--families ...]
        [--batch 64] [--rounds 3] [--device cpu|cuda]

For each family, on one random batch of the pair's shapes (CIFAR-100:
resnet32x4 -> resnet8x4, or the Fashion-MNIST pair), prints:

- the step time in fp32 and with ``--amp`` (fp16 on a GPU, bf16 on a CPU
  with bf16 instructions), each also with ``channels_last=True``,
  measured in one process, interleaved step by step (fp32, fp32 channels
  last, amp, ...) after a warm-up, so that a machine's drift falls on
  all; each one's ratio to fp32;
- the host reads of device values in one step (each stalls a GPU; see
  ``mmsamkd/utils/host_syncs.py``), logging included as MMEngine does it;
- peak memory of each precision, each in a fresh process (CUDA: max
  allocated; CPU: the process's peak resident set, imports included).

A step is the model's ``train_step``: forward of teacher and student,
each optimizer's update, under mmsamkd's non-finite guard; MS-MGANs in a
block phase (its discriminator and the first block).
"""

import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHAPES = {'cifar': (3, 32), 'fmnist': (1, 28)}
FAMILIES = {
    'cifar': {
        'KD': 'kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'HSAKD': 'hsakd/hsakd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'SAMKD': 'samkd/samkd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'SSKD': 'sskd/sskd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'LightSKD': 'lightskd/lightskd-drg-dsr_resnet8x4_1xb128_cifar100.py',
        'CSKD': 'cskd/cskd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'ICAKD': 'icakd/icakd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        'MS-MGANs': 'msmgan/msmgan_resnet32x4_resnet8x4_1xb64_cifar100.py',
    },
    'fmnist': {
        'KD': 'kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'HSAKD': 'hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'SAMKD': 'samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'SSKD': 'sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'LightSKD': (
            'lightskd/lightskd-drg-dsr_resnet8-quarter_1xb64_fmnist.py'
        ),
        'CSKD': 'cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'ICAKD': 'icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'MS-MGANs': 'msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
    },
}
PRECISIONS = ('fp32', 'amp')
# (precision, channels_last) of each timed step
VARIANTS = [(p, c) for p in PRECISIONS for c in (False, True)]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pair', choices=list(SHAPES), default='cifar')
    parser.add_argument(
        '--families', nargs='+', default=list(FAMILIES['cifar'])
    )
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--device', default=None)
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    return parser.parse_args()


def build_training(
    config,
    shape,
    batch,
    device,
    amp=False,
    options=None,
    phase=0,
    channels_last=False,
):
    """``(model, optim_wrapper, batch)``: ``config``'s model (a path under
    ``configs/``) with random weights (teachers too) and its optimizers,
    as a Runner would build them with (``amp``) or without ``--amp`` and
    with or without ``channels_last``, and one random batch. ``phase``:
    MS-MGANs' block (or ``'final'``)."""
    import tempfile
    from types import SimpleNamespace

    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    from mmpretrain.structures import DataSample

    import mmsamkd  # noqa: F401
    from mmsamkd.engine.hooks import FP32LossesHook, NonFiniteGuardHook
    from mmsamkd.engine.optimizers import use_mixed_precision

    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    cfg.merge_from_dict(options or {})
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    if 'teacher_snapshots' in cfg.model:  # MS-MGANs: any weights will do
        snapshot = osp.join(tempfile.mkdtemp(), 'snapshot.pth')
        teacher = MODELS.build(cfg.model.teacher)
        torch.save({'state_dict': teacher.state_dict()}, snapshot)
        cfg.model.teacher_snapshots = [snapshot] * 3
    if amp:
        use_mixed_precision(cfg)
    model = MODELS.build(cfg.model).to(device)
    if channels_last:  # as MmsamkdRunner does
        model.to(memory_format=torch.channels_last)
    model.train()
    if hasattr(model, 'set_phase'):  # MS-MGANs
        model.set_phase(None if phase == 'final' else phase, 0)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper)
    NonFiniteGuardHook().before_train(runner)
    FP32LossesHook().before_train(runner)
    channels, size = shape
    views = str(cfg.model.get('data_preprocessor', {}).get('type', ''))
    # SSKD's pipeline makes each sample's rotated views (K, C, H, W)
    per_sample = (4,) if views.endswith('ViewsDataPreprocessor') else ()
    data = dict(
        inputs=[
            torch.randint(0, 255, (*per_sample, channels, size, size)).to(
                torch.uint8
            )
            for _ in range(batch)
        ],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(batch)],
    )
    return model, optim_wrapper, data


def logged_step(model, optim_wrapper, data):
    """A train step and the reads MMEngine's RuntimeInfoHook makes of the
    values it logs."""
    import torch

    log_vars = model.train_step(data, optim_wrapper)
    return [float(v) for v in log_vars.values() if torch.is_tensor(v)]


def sync(device):
    if device.startswith('cuda'):
        import torch

        torch.cuda.synchronize()


def reads_and_memory(config, shape, batch, device, amp):
    """Worker: host reads of one step, and peak memory."""
    import resource

    import torch

    from mmsamkd.utils.host_syncs import HostSyncCounter

    model, wrapper, data = build_training(config, shape, batch, device, amp)
    logged_step(model, wrapper, data)  # warm-up (lazy state, widths)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    with HostSyncCounter() as reads:
        logged_step(model, wrapper, data)
    sync(device)
    if device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:  # ru_maxrss is in KiB on Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(reads=reads.count, peak_mb=peak)


def interleaved_times(config, shape, batch, device, rounds):
    """Worker: seconds per step of each variant, one after the other."""
    built = [
        build_training(
            config, shape, batch, device, p == 'amp', channels_last=c
        )
        for p, c in VARIANTS
    ]
    times = [[] for _ in VARIANTS]
    for each in built:
        logged_step(*each)  # warm-up
    for _ in range(rounds):
        for each, spent in zip(built, times):
            sync(device)
            start = time.perf_counter()
            logged_step(*each)
            sync(device)
            spent.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def in_worker(task, *args, device):
    out = subprocess.run(
        [sys.executable, __file__, '--worker', json.dumps([task, *args])]
        + ['--device', device],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    args = parse_args()
    if args.worker:
        task, *rest = json.loads(args.worker)
        work = {'reads': reads_and_memory, 'times': interleaved_times}[task]
        print(json.dumps(work(*rest[:2], rest[2], args.device, *rest[3:])))
        return
    import torch

    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    shape = SHAPES[args.pair]
    memory = 'peak CUDA MiB' if device.startswith('cuda') else 'peak RSS MiB'
    print(
        f'{args.pair} pair, batch {args.batch}, {device}, '
        f'{torch.get_num_threads()} threads, median of {args.rounds} '
        'interleaved steps after a warm-up\n'
    )
    print(
        '| family | fp32 s/step | fp32 channels last | amp | amp channels '
        f'last | host reads fp32 / amp | {memory} fp32 / amp |'
    )
    print('|---|---|---|---|---|---|---|')
    for family in args.families:
        config = FAMILIES[args.pair][family]
        times = in_worker(
            'times', config, shape, args.batch, args.rounds, device=device
        )
        each = {
            p: in_worker(
                'reads', config, shape, args.batch, p == 'amp', device=device
            )
            for p in PRECISIONS
        }
        fp32, *others = times
        print(
            f'| {family} | {fp32:.2f} | '
            + ' | '.join(f'{t:.2f} ({t / fp32:.2f})' for t in others)
            + f' | {each["fp32"]["reads"]} / {each["amp"]["reads"]} | '
            f'{each["fp32"]["peak_mb"]:.0f} / {each["amp"]["peak_mb"]:.0f} |',
            flush=True,
        )


if __name__ == '__main__':
    main()
