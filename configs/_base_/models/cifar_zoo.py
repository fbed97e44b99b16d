# The CIFAR KD model zoo (CRD / SSKD / HSAKD definitions) as MMPretrain
# classifiers for 100 classes: use as _base_.cifar_zoo.<name> and override
# head.num_classes for other datasets. resnet50 / resnet18 are the
# ImageNet ResNets with the CIFAR stem (3x3, stride 1, no max-pool).


def _classifier(backbone, channels):
    return dict(
        _scope_='mmpretrain',
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=channels,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        ),
    )


def _resnet(arch, channels):
    return _classifier(dict(type='CifarResNet', arch=arch), channels)


def _wrn(depth, k):
    return _classifier(
        dict(type='WideResNet', depth=depth, widen_factor=k), 64 * k
    )


cifar_zoo = dict(
    resnet8=_resnet('resnet8', 64),
    resnet14=_resnet('resnet14', 64),
    resnet20=_resnet('resnet20', 64),
    resnet32=_resnet('resnet32', 64),
    resnet44=_resnet('resnet44', 64),
    resnet56=_resnet('resnet56', 64),
    resnet110=_resnet('resnet110', 64),
    resnet8x4=_resnet('resnet8x4', 256),
    resnet32x4=_resnet('resnet32x4', 256),
    wrn_16_2=_wrn(16, 2),
    wrn_40_1=_wrn(40, 1),
    wrn_40_2=_wrn(40, 2),
    vgg8=_classifier(dict(type='CifarVGG', arch='vgg8'), 512),
    vgg13=_classifier(dict(type='CifarVGG', arch='vgg13'), 512),
    resnet50=_resnet('resnet50', 2048),
    resnet18=_resnet('resnet18', 512),
    mobilenetv2=_classifier(dict(type='CifarMobileNetV2'), 1280),
    mobilenetv2_s1=_classifier(
        dict(type='CifarMobileNetV2', stem_stride=1), 1280
    ),
    shufflev1=_classifier(dict(type='CifarShuffleNetV1'), 960),
    shufflev2=_classifier(dict(type='CifarShuffleNetV2'), 1024),
)
