# ICAKD, resnet32x4 -> resnet8x4 on CIFAR-100: 0.9 CE + the ground-truth CAM
# loss + CSKD's category structure on CAM-weighted pooled features with
# centroids over a 1024-feature memory bank plus the batch
# (configs/icakd/README.md lists what was inferred); the CRD recipe (240
# epochs).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/category_structure.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py configs/teachers/resnet32x4_1xb64_cifar100.py
teacher_ckpt = 'work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet8x4,
        head=dict(
            _base_.cifar_zoo.resnet8x4.head, loss=_base_.category_student_loss
        ),
    ),
    teacher=_base_.cifar_zoo.resnet32x4,
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        _base_.icakd_distiller,
        connectors=dict(
            proj=dict(_base_.proj_connector, in_channel=256, out_channel=256)
        ),
        distill_losses=dict(
            _base_.icakd_distiller.distill_losses,
            loss_structure=dict(
                _base_.icakd_distiller.distill_losses.loss_structure,
                num_classes=100,
                bank_channels=256,
            ),
        ),
    ),
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
