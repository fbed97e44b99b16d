"""Hooks for the multi-process tests: each DDP rank saves its student;
rank 1 hangs."""

import os
import os.path as osp
import time

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankWeightsHook(Hook):
    """After training, write ``<out_dir>/rank<r>.pth`` with the student's
    (or the classifier's) parameters, from every rank."""

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train(self, runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        model = getattr(model, 'architecture', model)
        if is_model_wrapper(model):  # SAMKD wraps each part on its own
            model = model.module
        # parameters: BN statistics are rank 0's only after the next
        # forward (DDP broadcasts buffers then)
        weights = {k: v.detach() for k, v in model.named_parameters()}
        torch.save(weights, osp.join(self.out_dir, f'rank{get_rank()}.pth'))


@HOOKS.register_module()
class StopRankHook(Hook):
    """Hang rank 1 after its iteration ``at``, as a deadlock, a debugger or
    a swapped-out node would; its pid goes to ``<out_dir>/stopped.pid``.
    It sleeps rather than taking SIGSTOP: the peer's timeout is the same,
    but torchrun gives a stopped process 30 s to obey SIGTERM before it
    kills it, and a sleeping one obeys at once."""

    def __init__(self, out_dir, at=2):
        self.out_dir = out_dir
        self.at = at

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        if get_rank() == 1 and runner.iter + 1 == self.at:
            with open(osp.join(self.out_dir, 'stopped.pid'), 'w') as f:
                f.write(str(os.getpid()))
            while True:
                time.sleep(1)
