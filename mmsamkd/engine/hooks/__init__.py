from .adversarial_stage_hook import AdversarialStageHook
from .checkpoint_fit_hook import CheckpointFitHook
from .fp32_losses_hook import FP32LossesHook
from .frozen_stage_load_hook import FrozenStageLoadHook
from .msmgan_phase_hook import MSMGANPhaseHook
from .nonfinite_guard_hook import NonFiniteGuardHook
from .reliability_hook import ReliabilityHook
from .rng_state_hook import RNGStateHook
from .run_cost_hook import RunCostHook
from .teacher_scores_hook import TeacherScoresHook
from .trained_classes_hook import TrainedClassesHook

__all__ = [
    'AdversarialStageHook',
    'CheckpointFitHook',
    'FP32LossesHook',
    'FrozenStageLoadHook',
    'MSMGANPhaseHook',
    'NonFiniteGuardHook',
    'ReliabilityHook',
    'RNGStateHook',
    'RunCostHook',
    'TeacherScoresHook',
    'TrainedClassesHook',
]
