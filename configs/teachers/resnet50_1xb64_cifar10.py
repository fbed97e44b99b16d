# Plain CE teacher, CRD recipe (240 epochs, lr 0.05, batch 64).
_base_ = [
    '../_base_/models/resnet_cifar.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet50_cifar,
    head=dict(_base_.resnet50_cifar.head, num_classes=10),
    data_preprocessor=_base_.data_preprocessor,
)
