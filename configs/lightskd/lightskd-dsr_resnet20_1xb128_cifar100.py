# LightSKD self-distillation, resnet20 on CIFAR-100: DSR (1 KL(T=4) from the
# previous batch's sorted logits), on top of CE; no teacher network. LightSKD's
# schedule (200 epochs, batch 128, lr 0.1, x0.1 at 60/120/160).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/lightskd.py',
    '../_base_/datasets/cifar100_lightskd.py',
    '../_base_/schedules/lightskd_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _scope_='mmrazor',
    type='SelfDistill',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=_base_.cifar_zoo.resnet20,
    distiller=_base_.dsr_distiller,
)
train_dataloader = dict(batch_size=128)
