# Hinton KD (MMRazor built-in): 0.1 CE + 0.9 KL(T=4) on logits.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/kd_logits.py',
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
            _base_.resnet8_quarter_fmnist.head, loss=_base_.kd_student_loss
        ),
    ),
    teacher=_base_.resnet14_fmnist,
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.kd_logits_distiller,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
