# SAMKD, VGG13 -> MobileNetV2 on CIFAR-100: HSAKD's losses plus discriminators
# on 4 branch features and the logits, switched on in stages (features from
# epoch 30, logits from 90).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/samkd_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/samkd_cifar_240e.py',
    '../_base_/default_runtime.py',
]

# written by tools/train.py configs/teachers/vgg13_ssa-frozen_1xb64_cifar100.py
teacher_ckpt = 'work_dirs/vgg13_ssa-frozen_1xb64_cifar100/epoch_100.pth'

model = dict(
    _scope_='mmrazor',
    type='SAMKD',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.mobilenetv2_s1,
        type='SelfSupervisedClassifier',
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(
        _base_.cifar_zoo.vgg13,
        type='SelfSupervisedClassifier',
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.samkd_distiller_4branches,
    adversary=_base_.samkd_adversary_4branches,
)

optim_wrapper = dict(architecture=dict(optimizer=dict(lr=0.01)))

custom_hooks = [_base_.samkd_stage_hook_4branches]

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
