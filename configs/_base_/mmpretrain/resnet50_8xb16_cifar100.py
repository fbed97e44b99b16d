# MMPretrain's own resnet50_8xb16_cifar100 (ResNet_CIFAR-50, CIFAR-100,
# batch 8 x 16, 200 epochs) as it ships, plus what every mmsamkd config
# has: the plugin, its hooks, cuDNN's fastest kernels, stacked and pinned
# batches, the transfer metric, and LocalCIFAR100 (MMPretrain's CIFAR100
# that never downloads: missing files are a one-line error). The hooks and
# env_cfg are default_runtime.py's (tests/test_configs.py keeps them equal).
# The distillation configs built on it change only the algorithm.
_base_ = ['mmpretrain::resnet/resnet50_8xb16_cifar100.py']

custom_imports = dict(imports=['mmsamkd'], allow_failed_imports=False)

default_hooks = dict(
    nonfinite=dict(type='mmrazor.NonFiniteGuardHook', policy='raise'),
    rng_state=dict(type='mmrazor.RNGStateHook'),
    frozen_load=dict(type='mmrazor.FrozenStageLoadHook'),
    teacher_scores=dict(type='mmrazor.TeacherScoresHook'),
)
env_cfg = dict(
    cudnn_benchmark=True, dist_cfg=dict(backend='nccl', timeout=600)
)

train_dataloader = dict(
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LocalCIFAR100'),
)
val_dataloader = dict(
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='LocalCIFAR100'),
)
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='Accuracy', topk=(1,)),
    dict(type='mmrazor.TransferMetric'),
]
test_evaluator = val_evaluator

# the student: the same ResNet_CIFAR at depth 18 (the network of
# MMPretrain's resnet18_8xb16_cifar10, here with 100 classes)
resnet18_student = dict(
    _base_.model,
    backbone=dict(_base_.model.backbone, depth=18),
    head=dict(_base_.model.head, in_channels=512),
)

# the teacher: MMPretrain's model-zoo checkpoint of this config
zoo_teacher = (
    'https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet50_b16x8_cifar100_20210528-67b58a1b.pth'
)

# SSKD's training pipeline on this data: one flip per image, then each of
# the 4 rotated views cropped on its own (MMPretrain's crop and flip)
sskd_train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RotatedViews',
        transforms=[dict(type='RandomCrop', crop_size=32, padding=4)],
    ),
    dict(type='PackInputs'),
]
