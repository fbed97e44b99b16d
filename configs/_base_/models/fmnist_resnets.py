# Classifiers of the CPU benchmark, for 1x28x28 inputs: the zoo's resnet14
# (16/32/64 channels) as teacher and resnet8 at a quarter of its width
# (4/8/16) as student, small enough that the teacher leads it by several
# points (benchmarks/README.md). Referenced as _base_.<name>.


def _resnet(arch, widen_factor):
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=dict(
            type='CifarResNet',
            arch=arch,
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


resnet14_fmnist = _resnet('resnet14', 1)
resnet8_quarter_fmnist = _resnet('resnet8', 0.25)
# Branches on the last two stages only: the stage-0 branch would copy
# two stages and make the 4-view methods the slowest part of the main job.
fmnist_branch_taps = (1, 2)
