# Hinton KD (MMRazor built-in): 0.1 CE + 0.9 KL(T=4) on logits.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_20k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by `tools/train.py configs/teachers/resnet14_1xb64_fmnist.py`.
teacher_ckpt = 'work_dirs/resnet14_1xb64_fmnist/epoch_6.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet14_half_fmnist,
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=32,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.1),
        ),
    ),
    teacher=_base_.resnet14_fmnist,
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')
        ),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')
        ),
        distill_losses=dict(
            loss_kd=dict(type='KLDivergence', tau=4, loss_weight=0.9)
        ),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
            )
        ),
    ),
)

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
