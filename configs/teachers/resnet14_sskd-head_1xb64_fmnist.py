# SSKD teacher stage 2 for the CPU configs: the plain Fashion-MNIST teacher
# (load_from) stays frozen; only its projection head learns the contrastive
# rotation task. 3 epochs of 4 views (as the HSAKD teacher's branches): the
# head is a small MLP on fixed features.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/datasets/fashion_mnist_5k_rotated_views.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.resnet14_fmnist,
    type='SSKDClassifier',
    mode='frozen',
    data_preprocessor=dict(
        _base_.data_preprocessor, type='ViewsDataPreprocessor'
    ),
)

param_scheduler = dict(T_max=3)
train_cfg = dict(max_epochs=3, val_interval=3)

# Written by tools/train.py configs/teachers/resnet14_1xb64_fmnist.py
load_from = 'work_dirs/resnet14_1xb64_fmnist/epoch_12.pth'
