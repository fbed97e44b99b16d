"""The teacher's predictions beside the student's, for TransferMetric."""

from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...evaluation import TransferMetric
from ...utils.model_wrappers import unwrap_model
from ..runner.teacher_cached_val_loop import weights_version


@HOOKS.register_module()
class TeacherScoresHook(Hook):
    """While a validation or test pass evaluates a distillation algorithm
    with a :class:`TransferMetric`, give each predicted data sample the
    teacher's class probabilities on the same image as ``teacher_score``.

    The algorithm's predictions pass through a forward hook that runs the
    teacher on the same preprocessed batch. A frozen teacher is run once:
    its scores are kept per batch and reused while its weights are
    unchanged and the batch is the same (its shape and pixel sum, so a
    shuffled loader cannot pair an image with another's scores). A pass
    without a ``TransferMetric``, or a model without a ``teacher``, costs
    nothing.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self.handle = None
        self.cache = {}  # (phase, batch index) -> (batch key, scores)
        self.version = None

    def before_val_epoch(self, runner: Runner) -> None:
        self._attach(runner, runner.val_evaluator, 'val')

    def before_test_epoch(self, runner: Runner) -> None:
        self._attach(runner, runner.test_evaluator, 'test')

    def before_val_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None
    ) -> None:
        self.batch = ('val', batch_idx)

    def before_test_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None
    ) -> None:
        self.batch = ('test', batch_idx)

    def after_val_epoch(
        self, runner: Runner, metrics: Optional[Dict[str, float]] = None
    ) -> None:
        self._detach()

    def after_test_epoch(
        self, runner: Runner, metrics: Optional[Dict[str, float]] = None
    ) -> None:
        self._detach()

    def _attach(self, runner, evaluator, phase):
        model = unwrap_model(runner.model)
        teacher = getattr(model, 'teacher', None)
        wanted = any(isinstance(m, TransferMetric) for m in evaluator.metrics)
        has_teacher = isinstance(teacher, torch.nn.Module)
        if self.handle or not wanted or not has_teacher:
            return
        version = weights_version(teacher)
        if version != self.version:
            self.cache, self.version = {}, version
        self.batch = (phase, None)
        self.handle = model.register_forward_hook(
            self._add_teacher_scores, with_kwargs=True
        )

    def _detach(self):
        if self.handle:
            self.handle.remove()
            self.handle = None

    def _add_teacher_scores(self, algorithm, args, kwargs, outputs):
        """A forward hook of the algorithm: in ``predict`` mode, put the
        teacher's ``pred_score`` into each output sample."""
        mode = kwargs.get('mode', args[2] if len(args) > 2 else 'tensor')
        if mode != 'predict':
            return
        inputs = kwargs['inputs'] if 'inputs' in kwargs else args[0]
        key = (tuple(inputs.shape), float(inputs.double().sum()))
        kept_key, scores = self.cache.get(self.batch, (None, None))
        if kept_key != key:
            with torch.no_grad():
                taught = algorithm.teacher(inputs, mode='predict')
            scores = [sample.pred_score for sample in taught]
            if self.batch[1] is not None:
                self.cache[self.batch] = (key, scores)
        for sample, score in zip(outputs, scores):
            sample.set_field(score, 'teacher_score')
