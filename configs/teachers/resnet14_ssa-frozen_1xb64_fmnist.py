# HSAKD teacher for the CPU configs: self-supervised branches trained on the
# frozen plain Fashion-MNIST teacher (loaded from load_from), same schedule.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_20k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet14_fmnist,
    type='SelfSupervisedClassifier',
    branch_mode='frozen',
    data_preprocessor=_base_.data_preprocessor,
)

# Written by tools/train.py configs/teachers/resnet14_1xb64_fmnist.py
load_from = 'work_dirs/resnet14_1xb64_fmnist/epoch_6.pth'
