# SSKD on the CPU pair: 0.1 CE + 0.9 KD + 2.7 ranked KD on rotated views + 10
# ranked KL of similarity matrices (configs/_base_/models/sskd.py); each
# rotated view cropped on its own; same data, schedule and seed as the KD,
# HSAKD and vanilla Fashion-MNIST configs.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/sskd.py',
    '../_base_/datasets/fashion_mnist_5k_rotated_views.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet14_sskd-head_1xb64_fmnist.py
teacher_ckpt = 'work_dirs/resnet14_sskd-head_1xb64_fmnist/epoch_3.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ViewsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet8_quarter_fmnist,
        type='SSKDClassifier',
        contrastive_weight=0,  # the projection head learns from the teacher
        head=dict(
            _base_.resnet8_quarter_fmnist.head, loss=_base_.sskd_student_loss
        ),
    ),
    teacher=dict(_base_.resnet14_fmnist, type='SSKDClassifier'),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.sskd_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
