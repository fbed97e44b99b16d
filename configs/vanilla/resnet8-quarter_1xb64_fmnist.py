# The KD student trained alone (CE only): the baseline every method beats.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet8_quarter_fmnist, data_preprocessor=_base_.data_preprocessor
)
