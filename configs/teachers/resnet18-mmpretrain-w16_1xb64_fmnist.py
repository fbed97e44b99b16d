# Plain CE teacher on the CPU benchmark data: MMPretrain's ResNet_CIFAR-18
# at a quarter width (configs/_base_/models/fmnist_mmpretrain.py), the
# benchmark's schedule.
_base_ = [
    '../_base_/models/fmnist_mmpretrain.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet18_mmpretrain_fmnist,
    data_preprocessor=_base_.data_preprocessor,
)
