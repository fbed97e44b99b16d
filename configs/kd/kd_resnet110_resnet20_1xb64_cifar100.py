# Hinton KD, resnet110 -> resnet20 on CIFAR-100 (CRD's 13th pair): the
# resnet56 -> resnet20 config with the deeper teacher.
_base_ = ['./kd_resnet56_resnet20_1xb64_cifar100.py']

# Written by tools/train.py configs/teachers/resnet110_1xb64_cifar100.py
teacher_ckpt = 'work_dirs/resnet110_1xb64_cifar100/epoch_240.pth'

model = dict(
    teacher=dict(_delete_=True, **_base_.cifar_zoo.resnet110),
    teacher_ckpt=teacher_ckpt,
)
