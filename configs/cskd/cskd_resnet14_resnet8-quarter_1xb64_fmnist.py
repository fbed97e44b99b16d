# CSKD, resnet14 -> resnet8-quarter on Fashion-MNIST: 0.9 CE + the
# category-structure loss of its official code (intra-class residuals 0.002,
# centroid pull 0.1, inter-class centroid similarities 0.04; batch centroids)
# on the last feature map, the student's projected to the teacher's width by a
# 1x1 conv; the CPU benchmark's data, schedule and seeds.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/category_structure.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py configs/teachers/resnet14_1xb64_fmnist.py
teacher_ckpt = 'work_dirs/resnet14_1xb64_fmnist/epoch_12.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet8_quarter_fmnist,
        head=dict(
            _base_.resnet8_quarter_fmnist.head,
            loss=_base_.category_student_loss,
        ),
    ),
    teacher=_base_.resnet14_fmnist,
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        _base_.cskd_distiller,
        connectors=dict(
            proj=dict(_base_.proj_connector, in_channel=16, out_channel=64)
        ),
        distill_losses=dict(
            loss_cskd=dict(
                _base_.cskd_distiller.distill_losses.loss_cskd,
                num_classes=10,
            )
        ),
    ),
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
