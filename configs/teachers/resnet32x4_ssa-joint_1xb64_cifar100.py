# HSAKD teacher*, resnet32x4 on CIFAR-100: backbone and self-supervised
# branches trained jointly from scratch, 240 epochs, SGD nesterov.
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.resnet32x4,
    type='SelfSupervisedClassifier',
    branch_mode='joint',
    data_preprocessor=_base_.data_preprocessor,
)

optim_wrapper = dict(optimizer=dict(nesterov=True))
