# Hinton KD, ResNet50 -> ResNet18 (CIFAR stems): 0.1 CE + 0.9 KL(T=4).
_base_ = [
    '../_base_/models/kd_resnet50_resnet18_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

# Written by `tools/train.py configs/teachers/resnet50_1xb64_cifar10.py`.
teacher_ckpt = 'work_dirs/resnet50_1xb64_cifar10/epoch_240.pth'

model = dict(
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(head=dict(num_classes=10)),
    teacher=dict(head=dict(num_classes=10)),
    teacher_ckpt=teacher_ckpt,
)

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
