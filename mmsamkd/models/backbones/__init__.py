from .base import StagedBackbone
from .cifar_resnet import CifarResNet
from .mobilenet_v2 import CifarMobileNetV2
from .shufflenet import CifarShuffleNetV1, CifarShuffleNetV2
from .stage_view import StageView, stage_view
from .vgg import CifarVGG
from .wide_resnet import WideResNet

__all__ = [
    'StagedBackbone',
    'CifarResNet',
    'WideResNet',
    'CifarVGG',
    'CifarMobileNetV2',
    'CifarShuffleNetV1',
    'CifarShuffleNetV2',
    'StageView',
    'stage_view',
]
