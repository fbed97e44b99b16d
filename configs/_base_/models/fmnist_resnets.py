# Classifiers small enough to train on 2 CPU cores, for 1x28x28 inputs.
# MMPretrain's ResNet_CIFAR (3x3 stem, no max-pool) cut to three stages of two
# basic blocks is the CRD "resnet14" (16/32/64 channels); the student is the
# same network at half width (8/16/32). Referenced as _base_.<name>.


def _resnet14(width):
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            num_stages=3,
            in_channels=1,
            stem_channels=width,
            base_channels=width,
            strides=(1, 2, 2),
            dilations=(1, 1, 1),
            out_indices=(2,),
        ),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=4 * width,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        ),
    )


resnet14_fmnist = _resnet14(16)
resnet14_half_fmnist = _resnet14(8)
