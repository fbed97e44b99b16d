# Runtime shared by every mmsamkd config: MMPretrain's, plus the plugin.
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmsamkd'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # Keep the best and the last: papers report both.
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_last=True,
        save_best='auto',
    ),
    # NaN / inf losses stop the run (policy='skip' drops those steps)
    nonfinite=dict(type='mmrazor.NonFiniteGuardHook', policy='raise'),
    # global RNG states in every checkpoint: resume is exact with random
    # augmentation too
    rng_state=dict(type='mmrazor.RNGStateHook'),
    # a frozen stage's load_from must hold the classifier it freezes
    frozen_load=dict(type='mmrazor.FrozenStageLoadHook'),
    # the teacher's predictions beside the student's, for TransferMetric
    teacher_scores=dict(type='mmrazor.TeacherScoresHook'),
)

# nccl on GPU; mmsamkd.compat switches to gloo when CUDA is absent. A rank
# that stops (or dies) ends the run after `timeout` seconds of waiting in a
# collective, with one line, instead of holding the others.
# cuDNN picks the fastest convolution for the fixed input size (MMPretrain's
# runtime leaves it off); runs are not bit-deterministic on GPU anyway
# (randomness.deterministic=False).
env_cfg = dict(
    cudnn_benchmark=True, dist_cfg=dict(backend='nccl', timeout=600)
)

randomness = dict(seed=0, deterministic=False)
