# HSAKD's branch stage on MMPretrain's ResNet_CIFAR-18 (quarter width):
# branches on its last two stages (layer3, layer4), trained on the frozen
# plain teacher (load_from) for 3 epochs, as the zoo teacher's are.
_base_ = [
    '../_base_/models/fmnist_mmpretrain.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet18_mmpretrain_fmnist,
    type='SelfSupervisedClassifier',
    branch_mode='frozen',
    branch_taps=_base_.resnet18_mmpretrain_branch_taps,
    data_preprocessor=_base_.data_preprocessor,
)

param_scheduler = dict(T_max=3)
train_cfg = dict(max_epochs=3, val_interval=3)

# Written by tools/train.py configs/teachers/
# resnet18-mmpretrain-w16_1xb64_fmnist.py
load_from = 'work_dirs/resnet18-mmpretrain-w16_1xb64_fmnist/epoch_12.pth'
