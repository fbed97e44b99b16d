# Hinton KD, ResNet50 -> ResNet18 on Tiny-ImageNet: 0.1 CE + 0.9 KL(T=4),
# CRD recipe.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/kd_logits.py',
    '../_base_/datasets/tiny_imagenet.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py configs/teachers/resnet50_1xb64_tinyimagenet.py
teacher_ckpt = 'work_dirs/resnet50_1xb64_tinyimagenet/epoch_240.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet18,
        head=dict(
            _base_.cifar_zoo.resnet18.head,
            num_classes=200,
            loss=_base_.kd_student_loss,
        ),
    ),
    teacher=dict(
        _base_.cifar_zoo.resnet50,
        head=dict(_base_.cifar_zoo.resnet50.head, num_classes=200),
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.kd_logits_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
