# ResNet-18 (CIFAR stem) trained alone with CE on LightSKD's schedule: the
# baseline of configs/lightskd/lightskd-*_resnet18_1xb128_cifar100.py.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/lightskd_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.resnet18, data_preprocessor=_base_.data_preprocessor
)
train_dataloader = dict(batch_size=128)
