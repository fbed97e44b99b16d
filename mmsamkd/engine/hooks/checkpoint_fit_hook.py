"""The checkpoint a run tests or resumes holds every weight of its model
(and, to resume, the optimizer and schedule state)."""

import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import Runner, find_latest_checkpoint
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
    A checkpoint to resume must also hold the optimizer and schedule
    state (:func:`training_state_problem`). ``tools/test.py`` and
    ``tools/train.py`` (with ``--resume`` or ``load_from``) register it.

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
        filename = getattr(runner, '_load_from', None) or (
            self.purpose == 'resume'
            and find_latest_checkpoint(runner.work_dir)
            or 'the checkpoint'
        )
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
            problem = problem or training_state_problem(
                runner, checkpoint, filename
            )
        if problem:
            raise CheckpointError(problem)


def training_state_problem(
    runner: Runner, checkpoint: dict, filename: str
) -> Optional[str]:
    """Why ``checkpoint`` cannot continue ``runner``'s training where it
    stopped, or None.

    MMEngine resumes the optimizer and the learning-rate schedulers only
    from a checkpoint that holds them, and goes on without them: under
    ``default_hooks.checkpoint.save_param_scheduler=False`` a cosine
    resumed at epoch 2 of 4 gave its last epoch a learning rate of 0.0459
    for 0.0427, rc 0, in a run recorded as uninterrupted (compare.py
    resumes interrupted runs by itself)."""
    lost = []
    if 'optimizer' not in checkpoint:
        lost.append(('the optimizer state (momentum)', 'save_optimizer'))
    if runner.param_schedulers and 'param_schedulers' not in checkpoint:
        lost.append(('the learning-rate schedule', 'save_param_scheduler'))
    if not lost:
        return None
    what = ' and '.join(what for what, _ in lost)
    them = 'them' if len(lost) > 1 else 'it'
    if osp.basename(filename).startswith('best_'):
        # before: blamed save_optimizer=False, said to train it again
        return (
            f'--resume {filename}: a best checkpoint, which MMEngine saves '
            f'without {what}, so the resumed run would start {them} '
            "over. Resume from its run's epoch_N.pth (iter_N.pth; plain "
            '--resume takes the latest), or start a new run from its '
            f'weights with load_from={filename}.'
        )
    keys = ' and '.join(f'{key}=False' for _, key in lost)
    return (
        f'--resume {filename}: the checkpoint lacks {what}, which '
        f'default_hooks.checkpoint.{keys} left out, so the resumed run '
        f'would start {them} over and be recorded as the uninterrupted '
        'run. Train it again from the start with '
        + ' and '.join(key for _, key in lost)
        + ' left on.'
    )
