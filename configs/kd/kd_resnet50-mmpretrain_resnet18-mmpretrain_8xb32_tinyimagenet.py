# Hinton KD on Tiny-ImageNet with MMPretrain's ImageNet ResNets at 64x64:
# teacher ResNet-50 (configs/teachers/
# resnet50-mmpretrain_8xb32_tinyimagenet.py), student ResNet-18, both
# with MMPretrain's ImageNet schedule; only the algorithm changes: 0.1 CE
# + 0.9 KL(T=4).
_base_ = [
    '../_base_/mmpretrain/resnet50_8xb32_tinyimagenet.py',
    '../_base_/models/kd_logits.py',
]

# Written by tools/train.py configs/teachers/
# resnet50-mmpretrain_8xb32_tinyimagenet.py
teacher_ckpt = 'work_dirs/resnet50-mmpretrain_8xb32_tinyimagenet/epoch_100.pth'

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.model,
        backbone=dict(_base_.model.backbone, depth=18),
        head=dict(
            _base_.model.head, in_channels=512, loss=_base_.kd_student_loss
        ),
    ),
    teacher=_base_.model,
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.kd_logits_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
