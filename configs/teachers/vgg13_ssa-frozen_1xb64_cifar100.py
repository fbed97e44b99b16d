# HSAKD teacher, VGG13 on CIFAR-100: self-supervised branches trained
# on the frozen plain teacher (loaded from load_from), 100 epochs.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/ssa_frozen_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.vgg13,
    type='SelfSupervisedClassifier',
    branch_mode='frozen',
    data_preprocessor=_base_.data_preprocessor,
)

# Written by tools/train.py configs/teachers/vgg13_1xb64_cifar100.py
load_from = 'work_dirs/vgg13_1xb64_cifar100/epoch_240.pth'
