# CSKD, resnet32x4 -> resnet8x4 on Tiny-ImageNet: 0.9 CE + the
# category-structure loss of its official code (intra-class residuals 0.002,
# centroid pull 0.1, inter-class centroid similarities 0.04; batch centroids)
# on the last feature map, the student's projected to the teacher's width by a
# 1x1 conv; the CRD recipe (240 epochs).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/category_structure.py',
    '../_base_/datasets/tiny_imagenet.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py configs/teachers/resnet32x4_1xb64_tinyimagenet.py
teacher_ckpt = 'work_dirs/resnet32x4_1xb64_tinyimagenet/epoch_240.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet8x4,
        head=dict(
            _base_.cifar_zoo.resnet8x4.head,
            num_classes=200,
            loss=_base_.category_student_loss,
        ),
    ),
    teacher=dict(
        _base_.cifar_zoo.resnet32x4,
        head=dict(_base_.cifar_zoo.resnet32x4.head, num_classes=200),
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        _base_.cskd_distiller,
        connectors=dict(
            proj=dict(_base_.proj_connector, in_channel=256, out_channel=256)
        ),
        distill_losses=dict(
            loss_cskd=dict(
                _base_.cskd_distiller.distill_losses.loss_cskd,
                num_classes=200,
            )
        ),
    ),
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
