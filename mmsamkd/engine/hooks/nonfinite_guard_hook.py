"""Stop (or skip) optimizer steps on a NaN or infinite loss, for any model."""

import types
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmrazor.registry import HOOKS

from ...errors import NonFiniteLossError
from ...utils.nonfinite import (
    POSITION_KEY,
    check_policy,
    on_nonfinite,
    read_checked,
    skip_update,
    train_position,
)


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Check every loss before its optimizer step.

    Without it, KD with too high a learning rate trains on NaN to the last
    epoch and saves NaN checkpoints, with rc 0. The hook wraps each optimizer
    wrapper's ``update_params`` (any model, AMP included), so a NaN or
    infinite loss never reaches ``backward`` and ``step``: with
    ``policy='raise'`` the run stops with one line naming the loss, the
    iteration and ``Epoch(train) [e][i/n]``; with ``'skip'`` that update
    is dropped (on every DDP rank alike) with a warning. :class:`SAMKD`
    applies the same policy to each of its losses (``model.nonfinite``).

    A finite loss does not prove a finite model: a BN running variance
    can overflow while the losses stay finite, and ``'skip'`` can drop
    every step after a divergence. So ``'skip'`` gives up after
    ``max_skips`` skipped updates in a row, and no checkpoint is written
    of a model with a non-finite parameter or buffer: both end the run
    with one line.

    ``configs/_base_/default_runtime.py`` registers it as
    ``default_hooks.nonfinite``, so every config has it.

    Args:
        policy (str): ``'raise'`` or ``'skip'``. Defaults to ``'raise'``.
        max_skips (int): Consecutive skipped updates after which ``'skip'``
            stops the run. Defaults to 10.
    """

    priority = 'VERY_HIGH'

    def __init__(self, policy: str = 'raise', max_skips: int = 10) -> None:
        check_policy(policy, 'NonFiniteGuardHook policy')
        self.policy = policy
        self.max_skips = max_skips

    def before_train(self, runner: Runner) -> None:
        wrapper = runner.optim_wrapper
        wrappers = (
            list(wrapper.values())
            if isinstance(wrapper, OptimWrapperDict)
            else [wrapper]
        )
        for each in wrappers:
            if not getattr(each, '_nonfinite_guarded', False):
                self._guard(each)

    def _guard(self, wrapper):
        policy, max_skips = self.policy, self.max_skips
        update_params = wrapper.update_params
        wrapper._nonfinite_skips = 0

        def guarded(self, loss, *args, **kwargs):
            if read_checked({'loss': loss})[1]:
                self._nonfinite_skips = 0
                return update_params(loss, *args, **kwargs)
            on_nonfinite(
                {'loss': loss.detach()},
                policy,
                'Lower the learning rate, or set '
                "default_hooks.nonfinite.policy='skip' to drop such steps.",
            )
            skip_update(self, [loss])
            self._nonfinite_skips += 1
            if self._nonfinite_skips >= max_skips:
                raise NonFiniteLossError(
                    f'{self._nonfinite_skips} updates in a row skipped for '
                    f'non-finite losses, the last at {train_position()}: '
                    'training has diverged. Lower the learning rate.'
                )

        wrapper.update_params = types.MethodType(guarded, wrapper)
        wrapper._nonfinite_guarded = True

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """No checkpoint of a model with a non-finite weight or buffer."""
        for key, value in checkpoint.get('state_dict', {}).items():
            if torch.is_tensor(value) and value.is_floating_point():
                if not torch.isfinite(value).all():
                    raise NonFiniteLossError(
                        f'the model has diverged: {key} holds non-finite '
                        f'values at epoch {runner.epoch + 1}, iteration '
                        f'{runner.iter}; no checkpoint was written. Lower '
                        'the learning rate.'
                    )

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None
    ) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            total = len(runner.train_dataloader)
            position = (
                f'Epoch(train) [{runner.epoch + 1}][{batch_idx + 1}/{total}]'
            )
        else:
            position = f'Iter(train) [{runner.iter + 1}/{runner.max_iters}]'
        runner.message_hub.update_info(
            POSITION_KEY, f'iteration {runner.iter + 1}, {position}'
        )
