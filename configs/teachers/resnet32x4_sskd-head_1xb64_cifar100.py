# SSKD teacher stage 2, resnet32x4 on CIFAR-100: the plain teacher (load_from)
# stays frozen and in eval mode; only its projection head learns the
# contrastive rotation task on the 4 views (60 epochs, lr 0.05, x0.1 at 30/45).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/datasets/cifar100_rotated_views.py',
    '../_base_/schedules/sskd_head_60e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _base_.cifar_zoo.resnet32x4,
    type='SSKDClassifier',
    mode='frozen',
    data_preprocessor=dict(
        _base_.data_preprocessor, type='ViewsDataPreprocessor'
    ),
)

# Written by tools/train.py configs/teachers/resnet32x4_1xb64_cifar100.py
load_from = 'work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth'
