from .adversarial_stage_hook import AdversarialStageHook

__all__ = ['AdversarialStageHook']
