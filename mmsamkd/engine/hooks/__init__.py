from .adversarial_stage_hook import AdversarialStageHook
from .nonfinite_guard_hook import NonFiniteGuardHook

__all__ = ['AdversarialStageHook', 'NonFiniteGuardHook']
