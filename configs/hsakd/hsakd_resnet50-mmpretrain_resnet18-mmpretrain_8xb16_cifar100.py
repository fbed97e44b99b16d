# HSAKD on MMPretrain's own CIFAR-100 recipe: teacher MMPretrain's
# resnet50_8xb16_cifar100 with branches on its 4 stages (the frozen-branch
# stage, configs/teachers/resnet50-mmpretrain_ssa-frozen_8xb16_cifar100.py),
# student ResNet_CIFAR-18 with the same branches; model, data and schedule
# as MMPretrain ships them, only the algorithm changes: CE on upright views
# + KL(T=3) of backbone and 4 branch joint logits on 4N rotated views.
_base_ = [
    '../_base_/mmpretrain/resnet50_8xb16_cifar100.py',
    '../_base_/models/hsakd.py',
]

# Written by tools/train.py with configs/teachers/
# resnet50-mmpretrain_ssa-frozen_8xb16_cifar100.py
teacher_ckpt = (
    'work_dirs/resnet50-mmpretrain_ssa-frozen_8xb16_cifar100/epoch_100.pth'
)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SingleTeacherDistill',
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
    distiller=_base_.hsakd_distiller_4branches,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
