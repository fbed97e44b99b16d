# HSAKD on the CPU benchmark with a teacher of MMPretrain's own network
# (ResNet_CIFAR-18, quarter width; branches on layer3 and layer4) and the
# benchmark's student (the zoo's resnet8 at quarter width, branches on its
# last two stages): everything else as
# hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/fmnist_mmpretrain.py',
    '../_base_/models/hsakd.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet18-mmpretrain-w16_ssa-frozen_1xb64_fmnist.py
teacher_ckpt = (
    'work_dirs/resnet18-mmpretrain-w16_ssa-frozen_1xb64_fmnist/epoch_3.pth'
)

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet8_quarter_fmnist,
        type='SelfSupervisedClassifier',
        branch_taps=_base_.fmnist_branch_taps,
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(
        _base_.resnet18_mmpretrain_fmnist,
        type='SelfSupervisedClassifier',
        branch_taps=_base_.resnet18_mmpretrain_branch_taps,
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.hsakd_distiller_2branches,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
