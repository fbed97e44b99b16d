# Plain CE ResNet50 teacher on CIFAR-10, CRD recipe (240 epochs).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.resnet50,
    head=dict(_base_.cifar_zoo.resnet50.head, num_classes=10),
    data_preprocessor=_base_.data_preprocessor,
)
