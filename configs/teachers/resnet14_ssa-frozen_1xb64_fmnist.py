# HSAKD teacher for the CPU configs: self-supervised branches on stages 1
# and 2, trained on the frozen plain Fashion-MNIST teacher (load_from).
# 3 epochs: each sees 4 rotated views, so this costs no more than the
# plain teacher's 12 (benchmarks/README.md).
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet14_fmnist,
    type='SelfSupervisedClassifier',
    branch_mode='frozen',
    branch_taps=_base_.fmnist_branch_taps,
    data_preprocessor=_base_.data_preprocessor,
)

param_scheduler = dict(T_max=3)
train_cfg = dict(max_epochs=3, val_interval=3)

# Written by tools/train.py configs/teachers/resnet14_1xb64_fmnist.py
load_from = 'work_dirs/resnet14_1xb64_fmnist/epoch_12.pth'
