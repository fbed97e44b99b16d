# SAMKD on MMPretrain's own CIFAR-100 recipe: the pair of HSAKD's
# hsakd_resnet50-mmpretrain_resnet18-mmpretrain_8xb16_cifar100.py plus
# discriminators on the 4 branch features and the logits. Model and data
# as MMPretrain ships them; the student keeps MMPretrain's optimizer and
# lr steps (SGD lr 0.1, wd 5e-4, x0.2 at 60/120/160, 200 epochs), the
# discriminators get SAMKD's Adam 2e-4 on the same steps; feature
# discriminators join from epoch 30, one per 10 epochs, the logits one at
# 90 (SAMKD's CIFAR stages).
_base_ = [
    '../_base_/mmpretrain/resnet50_8xb16_cifar100.py',
    '../_base_/models/samkd_cifar.py',
]

# Written by tools/train.py with configs/teachers/
# resnet50-mmpretrain_ssa-frozen_8xb16_cifar100.py
teacher_ckpt = (
    'work_dirs/resnet50-mmpretrain_ssa-frozen_8xb16_cifar100/epoch_100.pth'
)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SAMKD',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet18_student,
        type='SelfSupervisedClassifier',
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(_base_.model, type='SelfSupervisedClassifier'),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.samkd_distiller_4branches,
    adversary=_base_.samkd_adversary_4branches,
)

optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SAMKDOptimWrapperConstructor',
    architecture=dict(optimizer=_base_.optim_wrapper.optimizer),
    adversary=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
param_scheduler = dict(
    _delete_=True,
    architecture=_base_.param_scheduler,
    adversary=[_base_.param_scheduler],
)

custom_hooks = [_base_.samkd_stage_hook_4branches]

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
