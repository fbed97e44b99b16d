# SAMKD, resnet32x4 -> resnet8x4 on CIFAR-10: HSAKD's losses plus
# discriminators on 3 branch features and the logits, switched on in stages
# (features from epoch 30, logits from 90).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/samkd_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/samkd_cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet32x4_ssa-frozen_1xb64_cifar10.py
teacher_ckpt = 'work_dirs/resnet32x4_ssa-frozen_1xb64_cifar10/epoch_100.pth'

model = dict(
    _scope_='mmrazor',
    type='SAMKD',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet8x4,
        type='SelfSupervisedClassifier',
        head=dict(_base_.cifar_zoo.resnet8x4.head, num_classes=10),
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(
        _base_.cifar_zoo.resnet32x4,
        type='SelfSupervisedClassifier',
        head=dict(_base_.cifar_zoo.resnet32x4.head, num_classes=10),
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.samkd_distiller_3branches,
    adversary=_base_.samkd_adversary_3branches,
)

custom_hooks = [_base_.samkd_stage_hook_3branches]

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
