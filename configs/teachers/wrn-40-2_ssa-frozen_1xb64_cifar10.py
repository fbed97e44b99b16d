# HSAKD teacher, WRN-40-2 on CIFAR-10: self-supervised branches trained
# on the frozen plain teacher (loaded from load_from), 100 epochs.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/ssa_frozen_100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.wrn_40_2,
    type='SelfSupervisedClassifier',
    branch_mode='frozen',
    head=dict(_base_.cifar_zoo.wrn_40_2.head, num_classes=10),
    data_preprocessor=_base_.data_preprocessor,
)

# Written by tools/train.py configs/teachers/wrn-40-2_1xb64_cifar10.py
load_from = 'work_dirs/wrn-40-2_1xb64_cifar10/epoch_240.pth'
