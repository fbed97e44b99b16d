# MMPretrain's ResNet_CIFAR classifiers (3x3 stride-1 stem, no max-pool):
# depth 50 is the CRD "ResNet50" teacher, depth 18 the usual CIFAR ResNet18.
# 100 classes; other datasets override head.num_classes.
resnet50_cifar = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=50, out_indices=(3,)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
resnet18_cifar = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, out_indices=(3,)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ),
)
