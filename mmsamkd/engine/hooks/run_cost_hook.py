"""What a run cost: its training time and peak memory, per launch."""

import json
import os.path as osp
import resource
import time
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...utils.checkpoint_files import AtomicTextFile

COST_FILE = 'run_cost.json'


def read_cost(work_dir: str) -> Optional[dict]:
    """The totals of ``<work_dir>/run_cost.json`` over its launches:
    ``{'seconds', 'train_seconds', 'iterations', 'seconds_per_iter',
    'peak_mb', 'memory', 'input_shape'}``, or None."""
    path = osp.join(work_dir, COST_FILE)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        launches = json.load(f)['launches']
    iterations = sum(launch['iterations'] for launch in launches)
    train_seconds = sum(launch['train_seconds'] for launch in launches)
    return dict(
        seconds=sum(launch['seconds'] for launch in launches),
        train_seconds=train_seconds,
        iterations=iterations,
        seconds_per_iter=train_seconds / iterations if iterations else None,
        peak_mb=max(launch['peak_mb'] for launch in launches),
        memory=launches[-1]['memory'],
        input_shape=launches[-1].get('input_shape'),
    )


@HOOKS.register_module()
class RunCostHook(Hook):
    """Write ``run_cost.json`` in the work dir at the end of every epoch:
    for each launch of the run (a resumed run adds one), its wall time
    from the start of training, the time spent in training iterations,
    their count, the peak memory (CUDA: the most allocated on this
    process's GPU; CPU: the process's peak resident set, imports
    included) and the shape of one input image.

    ``tools/train.py`` registers it; ``tools/compare.py`` reads it.
    """

    priority = 'VERY_LOW'

    def before_train(self, runner: Runner) -> None:
        self.start = time.monotonic()
        self.train_seconds = 0.0
        self.iterations = 0
        self.input_shape = None
        self.launches = []
        path = osp.join(runner.work_dir, COST_FILE)
        if runner._resume and osp.isfile(path):  # earlier launches count
            with open(path, encoding='utf-8') as f:
                self.launches = json.load(f)['launches']
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None
    ) -> None:
        self.iter_start = time.monotonic()
        if self.input_shape is None and data_batch is not None:
            inputs = data_batch['inputs']
            first = inputs[0] if len(inputs) else None
            if torch.is_tensor(first):
                # one image: drop SSKD's views from a (K, C, H, W) sample
                self.input_shape = list(first.shape[-3:])

    def after_train_iter(
        self,
        runner: Runner,
        batch_idx: int,
        data_batch: Optional[dict] = None,
        outputs: Optional[dict] = None,
    ) -> None:
        self.train_seconds += time.monotonic() - self.iter_start
        self.iterations += 1

    def after_train_epoch(self, runner: Runner) -> None:
        self._write(runner)

    def after_train(self, runner: Runner) -> None:
        self._write(runner)

    def _write(self, runner):
        if not is_main_process():
            return
        if torch.cuda.is_available():
            memory = 'cuda'
            peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:  # ru_maxrss is in KiB on Linux
            memory = 'rss'
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        launch = dict(
            timestamp=runner.timestamp,
            seconds=round(time.monotonic() - self.start, 3),
            train_seconds=round(self.train_seconds, 3),
            iterations=self.iterations,
            peak_mb=round(peak_mb, 1),
            memory=memory,
            input_shape=self.input_shape,
        )
        with AtomicTextFile(osp.join(runner.work_dir, COST_FILE)) as f:
            json.dump({'launches': self.launches + [launch]}, f, indent=1)
