"""Training throughput of the CIFAR KD zoo on this machine.

    python benchmarks/backbone_throughput.py [--batch 64] [--iters 3]
        [--size 32] [--device cpu|cuda] [--only resnet8 wrn_16_2 ...]

For each classifier of ``configs/_base_/models/cifar_zoo.py`` (100
classes), times forward + backward + SGD step on random 3 x size x size
inputs after one warm-up iteration and prints images/s, ms/iter and
parameter counts: the base line that later cost figures are divided by.
"""

import argparse
import os.path as osp
import time

import torch

import mmsamkd  # noqa: F401  (registers the zoo)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ZOO_CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'cifar_zoo.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu'
    )
    parser.add_argument('--only', nargs='+', help='zoo names to time')
    return parser.parse_args()


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_training(model, batch, size, iters, device):
    model.to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs = torch.randn(batch, 3, size, size, device=device)
    labels = torch.randint(0, 100, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(inputs, mode='tensor'), labels).backward()
        optimizer.step()

    step()  # warm-up: allocator, kernel selection
    sync(device)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    sync(device)
    return (time.perf_counter() - start) / iters


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    zoo = Config.fromfile(ZOO_CONFIG).cifar_zoo
    names = args.only or list(zoo)
    print(
        f'device {args.device}, torch threads {torch.get_num_threads()}, '
        f'batch {args.batch}, {args.size}x{args.size}, '
        f'{args.iters} timed iterations after 1 warm-up\n'
    )
    print(f'| {"model":<15}| params (M) | ms / iter | images / s |')
    print('|' + '---|' * 4)
    for name in names:
        torch.manual_seed(0)
        model = MODELS.build(zoo[name])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        seconds = time_training(
            model, args.batch, args.size, args.iters, args.device
        )
        print(
            f'| {name:<15}| {params:10.2f} | {seconds * 1e3:9.1f} | '
            f'{args.batch / seconds:10.1f} |',
            flush=True,
        )


if __name__ == '__main__':
    main()
