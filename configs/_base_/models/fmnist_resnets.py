# Classifiers small enough to train on 2 CPU cores, for 1x28x28 inputs:
# the zoo's resnet14 (16/32/64 channels) as teacher and the same network at
# half width (8/16/32) as student. Referenced as _base_.<name>.


def _resnet14(widen_factor):
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CifarResNet',
            arch='resnet14',
            in_channels=1,
            widen_factor=widen_factor,
        ),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=int(64 * widen_factor),
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        ),
    )


resnet14_fmnist = _resnet14(1)
resnet14_half_fmnist = _resnet14(0.5)
