from .adversarial_stage_hook import AdversarialStageHook
from .checkpoint_fit_hook import CheckpointFitHook
from .frozen_stage_load_hook import FrozenStageLoadHook
from .msmgan_phase_hook import MSMGANPhaseHook
from .nonfinite_guard_hook import NonFiniteGuardHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AdversarialStageHook',
    'CheckpointFitHook',
    'FrozenStageLoadHook',
    'MSMGANPhaseHook',
    'NonFiniteGuardHook',
    'RNGStateHook',
]
