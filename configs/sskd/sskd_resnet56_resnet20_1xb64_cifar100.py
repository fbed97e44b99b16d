# SSKD, resnet56 -> resnet20 on CIFAR-100: 0.1 CE + 0.9 KD + 2.7 ranked KD on
# rotated views + 10 ranked KL of similarity matrices
# (configs/_base_/models/sskd.py), each rotated view cropped on its own; the
# CRD/SSKD recipe (240 epochs, x0.1 at 150/180/210).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/sskd.py',
    '../_base_/datasets/cifar100_rotated_views.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet56_sskd-head_1xb64_cifar100.py
teacher_ckpt = 'work_dirs/resnet56_sskd-head_1xb64_cifar100/epoch_60.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ViewsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet20,
        type='SSKDClassifier',
        contrastive_weight=0,  # the projection head learns from the teacher
        head=dict(
            _base_.cifar_zoo.resnet20.head, loss=_base_.sskd_student_loss
        ),
    ),
    teacher=dict(_base_.cifar_zoo.resnet56, type='SSKDClassifier'),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.sskd_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
