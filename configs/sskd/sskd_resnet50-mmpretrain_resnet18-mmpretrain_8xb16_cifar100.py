# SSKD on MMPretrain's own CIFAR-100 recipe: teacher MMPretrain's
# resnet50_8xb16_cifar100 with SSKD's projection head (the head stage,
# configs/teachers/resnet50-mmpretrain_sskd-head_8xb16_cifar100.py),
# student ResNet_CIFAR-18; model, data and schedule as MMPretrain ships
# them, only the algorithm changes: 0.1 CE + 0.9 KD + 2.7 ranked KD on
# rotated views + 10 ranked KL of similarity matrices, each rotated view
# cropped on its own.
_base_ = [
    '../_base_/mmpretrain/resnet50_8xb16_cifar100.py',
    '../_base_/models/sskd.py',
]

# Written by tools/train.py with configs/teachers/
# resnet50-mmpretrain_sskd-head_8xb16_cifar100.py
teacher_ckpt = (
    'work_dirs/resnet50-mmpretrain_sskd-head_8xb16_cifar100/epoch_60.pth'
)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ViewsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet18_student,
        type='SSKDClassifier',
        contrastive_weight=0,  # the projection head learns from the teacher
        head=dict(_base_.resnet18_student.head, loss=_base_.sskd_student_loss),
    ),
    teacher=dict(_base_.model, type='SSKDClassifier'),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.sskd_distiller,
)
train_dataloader = dict(dataset=dict(pipeline=_base_.sskd_train_pipeline))

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
