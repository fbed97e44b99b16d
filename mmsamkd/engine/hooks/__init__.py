from .adversarial_stage_hook import AdversarialStageHook
from .nonfinite_guard_hook import NonFiniteGuardHook
from .rng_state_hook import RNGStateHook

__all__ = ['AdversarialStageHook', 'NonFiniteGuardHook', 'RNGStateHook']
