"""The reliability diagrams of a run's last validation and test pass."""

import json
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...evaluation import TransferMetric
from ...utils.checkpoint_files import AtomicTextFile


def reliability_file(phase: str) -> str:
    """``reliability_val.json`` or ``reliability_test.json``."""
    return f'reliability_{phase}.json'


def read_reliability(work_dir: str, phase: str = 'val') -> Optional[dict]:
    """The diagrams :class:`ReliabilityHook` wrote for ``phase`` in
    ``work_dir``, or None."""
    path = osp.join(work_dir, reliability_file(phase))
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


@HOOKS.register_module()
class ReliabilityHook(Hook):
    """After each validation or test evaluated by a :class:`TransferMetric`,
    write the reliability diagrams of its first pass (the student's; the
    teacher's own pass that a distillation validation adds is left out)
    to ``<work_dir>/reliability_<phase>.json``: the student's, and the
    teacher's on the same images where there is a teacher, per confidence
    bin the count, mean confidence and accuracy. Each replaces the
    previous one: the file belongs to the last logged metrics.

    ``tools/train.py`` and ``tools/test.py`` register it;
    ``tools/compare.py`` draws the validation ones.
    """

    priority = 'LOW'

    def after_val_epoch(
        self, runner: Runner, metrics: Optional[Dict[str, float]] = None
    ) -> None:
        self._write(runner, runner.val_evaluator, 'val')

    def after_test_epoch(
        self, runner: Runner, metrics: Optional[Dict[str, float]] = None
    ) -> None:
        self._write(runner, runner.test_evaluator, 'test')

    def _write(self, runner, evaluator, phase):
        if not is_main_process():  # only rank 0 computes metrics
            return
        for metric in evaluator.metrics:
            if not isinstance(metric, TransferMetric) or not metric.diagrams:
                continue
            first = metric.diagrams[0]
            metric.diagrams.clear()
            record = dict(epoch=runner.epoch, iter=runner.iter, **first)
            path = osp.join(runner.work_dir, reliability_file(phase))
            with AtomicTextFile(path) as f:
                json.dump(record, f)
