"""Save the global RNG states with each checkpoint; restore them on resume."""

import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

KEY = 'rng_state'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make a resumed run draw the random numbers the uninterrupted run drew.

    MMEngine checkpoints restore the model, optimizer, schedulers and the
    sampler's epoch, but not the global numpy / python / torch RNGs. With
    ``num_workers=0`` the data pipeline's random crops and flips draw from
    them (as does anything random in the model), so a resumed run used to
    train on other augmentations (weights off by up to 0.15 after one
    epoch). This hook stores those states in every checkpoint and puts
    them back when training resumes from it (not for ``load_from``).

    Limits: the states are rank 0's (DDP ranks seeded alike draw alike);
    data workers (``num_workers > 0``) are re-seeded by MMEngine each epoch
    from the seed, which resume reproduces unless ``persistent_workers``
    keeps them alive across epochs.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state = dict(
            numpy=np.random.get_state(),
            python=random.getstate(),
            torch=torch.get_rng_state(),
        )
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[KEY] = state

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        if getattr(runner, '_resume', False) and KEY in checkpoint:
            self._pending = checkpoint[KEY]

    def before_train(self, runner: Runner) -> None:
        # after everything that resume and model building draw
        state, self._pending = self._pending, None
        if state is None:
            return
        np.random.set_state(state['numpy'])
        random.setstate(state['python'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
