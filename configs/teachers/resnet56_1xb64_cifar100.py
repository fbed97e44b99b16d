# Plain CE resnet56 teacher on CIFAR-100, CRD recipe (240 epochs).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.resnet56, data_preprocessor=_base_.data_preprocessor
)
