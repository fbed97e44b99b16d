# The KD student trained alone (CE only), CRD recipe.
_base_ = [
    '../_base_/models/resnet_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(_base_.resnet18_cifar, data_preprocessor=_base_.data_preprocessor)
