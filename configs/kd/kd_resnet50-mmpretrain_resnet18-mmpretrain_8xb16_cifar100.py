# Hinton KD on MMPretrain's own CIFAR-100 recipe: teacher MMPretrain's
# resnet50_8xb16_cifar100 (its model-zoo checkpoint), student the same
# ResNet_CIFAR at depth 18 (resnet18_8xb16_cifar10's network, 100 classes);
# model, data and schedule as MMPretrain ships them, only the algorithm
# changes: 0.1 CE + 0.9 KL(T=4).
_base_ = [
    '../_base_/mmpretrain/resnet50_8xb16_cifar100.py',
    '../_base_/models/kd_logits.py',
]

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet18_student,
        head=dict(_base_.resnet18_student.head, loss=_base_.kd_student_loss),
    ),
    teacher=_base_.model,
    teacher_ckpt=_base_.zoo_teacher,
    distiller=_base_.kd_logits_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
