"""The teacher's predictions beside the student's, for TransferMetric."""

import torch
from mmengine.hooks import Hook
from mmrazor.registry import HOOKS

from ...evaluation import TransferMetric
from ...utils.model_wrappers import unwrap_model


@HOOKS.register_module()
class TeacherScoresHook(Hook):
    """While a validation or test pass evaluates a distillation algorithm
    with a :class:`TransferMetric`, give each predicted data sample the
    teacher's class probabilities on the same image as ``teacher_score``.

    The algorithm's predictions pass through a forward hook that runs the
    teacher on the same preprocessed batch; a pass without a
    ``TransferMetric`` or a model without a ``teacher`` costs nothing.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self.handle = None

    def before_val_epoch(self, runner):
        self._attach(runner, runner.val_evaluator)

    def before_test_epoch(self, runner):
        self._attach(runner, runner.test_evaluator)

    def after_val_epoch(self, runner, metrics=None):
        self._detach()

    def after_test_epoch(self, runner, metrics=None):
        self._detach()

    def _attach(self, runner, evaluator):
        model = unwrap_model(runner.model)
        teacher = getattr(model, 'teacher', None)
        wanted = any(isinstance(m, TransferMetric) for m in evaluator.metrics)
        if (
            self.handle
            or not wanted
            or not isinstance(teacher, torch.nn.Module)
        ):
            return
        self.handle = model.register_forward_hook(
            add_teacher_scores, with_kwargs=True
        )

    def _detach(self):
        if self.handle:
            self.handle.remove()
            self.handle = None


def add_teacher_scores(algorithm, args, kwargs, outputs):
    """A forward hook of the algorithm: in ``predict`` mode, put the
    teacher's ``pred_score`` into each output sample."""
    mode = kwargs.get('mode', args[2] if len(args) > 2 else 'tensor')
    if mode != 'predict':
        return
    inputs = kwargs['inputs'] if 'inputs' in kwargs else args[0]
    with torch.no_grad():
        taught = algorithm.teacher(inputs, mode='predict')
    for sample, teacher_sample in zip(outputs, taught):
        sample.set_field(teacher_sample.pred_score, 'teacher_score')
