# HSAKD, WRN-40-2 -> WRN-16-2 on CIFAR-10: CE on upright views +
# KL(T=3) of backbone and 3 branch joint logits on 4N rotated views.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/hsakd.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# wrn-40-2_ssa-frozen_1xb64_cifar10.py
# (for HSAKD*, use the _ssa-joint_ teacher's epoch_240.pth instead).
teacher_ckpt = 'work_dirs/wrn-40-2_ssa-frozen_1xb64_cifar10/epoch_100.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.wrn_16_2,
        type='SelfSupervisedClassifier',
        head=dict(_base_.cifar_zoo.wrn_16_2.head, num_classes=10),
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(
        _base_.cifar_zoo.wrn_40_2,
        type='SelfSupervisedClassifier',
        head=dict(_base_.cifar_zoo.wrn_40_2.head, num_classes=10),
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.hsakd_distiller_3branches,
)

optim_wrapper = dict(optimizer=dict(nesterov=True))

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
