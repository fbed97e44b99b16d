# Plain CE teacher for the Fashion-MNIST CPU configs.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet14_fmnist, data_preprocessor=_base_.data_preprocessor
)
