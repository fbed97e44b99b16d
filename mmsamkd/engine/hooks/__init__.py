from .adversarial_stage_hook import AdversarialStageHook
from .msmgan_phase_hook import MSMGANPhaseHook
from .nonfinite_guard_hook import NonFiniteGuardHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AdversarialStageHook',
    'MSMGANPhaseHook',
    'NonFiniteGuardHook',
    'RNGStateHook',
]
