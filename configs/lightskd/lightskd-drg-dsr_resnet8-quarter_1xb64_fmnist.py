# LightSKD self-distillation on the CPU benchmark's student (resnet8 at quarter
# width): DRG and DSR together, on top of CE. Same data, schedule and seeds as
# the other Fashion-MNIST configs; no teacher.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/lightskd.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _scope_='mmrazor',
    type='SelfDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(_base_.resnet8_quarter_fmnist, type='AdapterClassifier'),
    distiller=_base_.drg_dsr_distiller,
)
