# MMPretrain's own ResNet_CIFAR-18 at a quarter of its width (stages of
# 16/32/64/128 channels) for 1x28x28 Fashion-MNIST: a teacher from
# MMPretrain's model zoo, as the HSAKD branch check on the CPU benchmark
# uses it (configs/hsakd/README.md). Branches on its last two stages, as
# the zoo's Fashion-MNIST teachers carry them on theirs.
resnet18_mmpretrain_fmnist = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
resnet18_mmpretrain_branch_taps = (2, 3)
