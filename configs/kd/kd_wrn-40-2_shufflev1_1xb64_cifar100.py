# Hinton KD, WRN-40-2 -> ShuffleNetV1 on CIFAR-100: 0.1 CE + 0.9 KL(T=4),
# CRD recipe with lr 0.01 (small student).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/kd_logits.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py configs/teachers/wrn-40-2_1xb64_cifar100.py
teacher_ckpt = 'work_dirs/wrn-40-2_1xb64_cifar100/epoch_240.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.shufflev1,
        head=dict(
            _base_.cifar_zoo.shufflev1.head, loss=_base_.kd_student_loss
        ),
    ),
    teacher=_base_.cifar_zoo.wrn_40_2,
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.kd_logits_distiller,
)

optim_wrapper = dict(optimizer=dict(lr=0.01))

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
