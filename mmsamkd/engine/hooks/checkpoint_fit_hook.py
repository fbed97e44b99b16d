"""The checkpoint a run tests or resumes holds every weight of its model."""

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...errors import CheckpointError
from ...utils.model_wrappers import unwrap_model
from ...utils.teacher_checkpoint import (
    evaluated_checkpoint_problem,
    loaded_checkpoint_problem,
    misfit,
    missing_and_mismatched,
    plain_state_dict,
    upgraded_state_dict,
)


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Refuse, before mmengine loads it with ``strict=False``, a checkpoint
    without every weight of the model (with its shape).

    ``tools/test.py`` reported a partly random model's accuracy with rc 0,
    ``--resume`` of another network's checkpoint printed dozens of
    size-mismatch warnings, then failed in the optimizer, and a
    ``load_from`` of another network (or of a distillation run under a
    student's config) trained from random weights with rc 0.
    ``tools/test.py`` and ``tools/train.py`` (with ``--resume`` or
    ``load_from``) register it.

    Args:
        config (str): The config the run was built from (named in errors).
        purpose (str): ``'test'``, ``'resume'`` or ``'load'`` (a start from
            ``load_from``, whose classifier head may be replaced): which
            weights must fit and which fix to name.
    """

    priority = 'VERY_HIGH'

    def __init__(self, config: str, purpose: str = 'test') -> None:
        self.config = config
        self.purpose = purpose

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        model = unwrap_model(runner.model)
        state_dict = upgraded_state_dict(model, plain_state_dict(checkpoint))
        filename = getattr(runner, '_load_from', None) or 'the checkpoint'
        if self.purpose == 'test':
            problem = evaluated_checkpoint_problem(
                model, state_dict, filename, self.config
            )
        elif self.purpose == 'load':
            if getattr(model, 'frozen', False):
                return  # FrozenStageLoadHook checks what a frozen stage loads
            problem = loaded_checkpoint_problem(
                model, state_dict, filename, self.config
            )
        else:
            expected = model.state_dict()
            missing, mismatched = missing_and_mismatched(expected, state_dict)
            problem = (missing or mismatched) and (
                f'--resume {filename} does not fit the model of '
                f'{self.config}: '
                f'{misfit(missing, mismatched, len(expected))}. Resume a '
                'run of this config, or start it in another --work-dir.'
            )
        if problem:
            raise CheckpointError(problem)
