"""A frozen stage trains on the classifier that ``load_from`` holds."""

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...errors import CheckpointError
from ...utils.model_wrappers import unwrap_model
from ...utils.teacher_checkpoint import (
    misfit,
    missing_and_mismatched,
    plain_state_dict,
)


@HOOKS.register_module()
class FrozenStageLoadHook(Hook):
    """Refuse a checkpoint that does not hold the frozen classifier.

    A frozen stage (HSAKD's branches, SSKD's projection head) trains its
    added heads on the fixed classifier of ``load_from``. mmengine loads
    ``load_from`` with ``strict=False``, so a checkpoint of another network
    left that classifier random with only size-mismatch warnings, and the
    run exited 0 with a teacher that misleads every student after it.
    Before any weight is loaded, every weight of the frozen backbone, neck
    and head must be in the checkpoint with its shape; the added heads may
    be absent (they are what the stage trains).

    ``configs/_base_/default_runtime.py`` registers it as
    ``default_hooks.frozen_load``; it does nothing for other models.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        model = unwrap_model(runner.model)
        if not getattr(model, 'frozen', False):
            return
        state_dict = plain_state_dict(checkpoint)
        expected = {
            f'{name}.{key}': value
            for name in ('backbone', 'neck', 'head')
            if getattr(model, name, None) is not None
            for key, value in getattr(model, name).state_dict().items()
        }
        missing, mismatched = missing_and_mismatched(
            expected, state_dict, 'classifier'
        )
        if not missing and not mismatched:
            return
        raise CheckpointError(
            f'load_from {runner._load_from} does not hold the '
            f'{type(model).__name__} that this frozen stage trains on: '
            f'{misfit(missing, mismatched, len(expected))}. Set load_from '
            'to the checkpoint of '
            "the plain teacher's run (the comment above load_from in the "
            'config names it).'
        )
