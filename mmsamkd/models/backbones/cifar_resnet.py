"""CIFAR ResNets of the KD literature: resnet8 ... resnet110, x4, ResNet50."""

from typing import Optional, Tuple

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .base import StagedBackbone, conv_bn


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity or 1x1 conv-BN shortcut."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn(in_channels, planes, 3, stride)
        self.conv2 = conv_bn(planes, planes, 3, relu=False)
        self.shortcut = _shortcut(in_channels, planes, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand x4, with a projection shortcut."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = conv_bn(in_channels, planes, 1)
        self.conv2 = conv_bn(planes, planes, 3, stride)
        self.conv3 = conv_bn(planes, out_channels, 1, relu=False)
        self.shortcut = _shortcut(in_channels, out_channels, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


def _shortcut(in_channels, out_channels, stride):
    if stride == 1 and in_channels == out_channels:
        return None
    return conv_bn(in_channels, out_channels, 1, stride, relu=False)


def _cifar(depth, stem, planes):
    n = (depth - 2) // 6
    return (BasicBlock, stem, planes, (n, n, n), (1, 2, 2))


# arch -> (block, stem width, planes per stage, blocks per stage, strides)
ARCH_SETTINGS = {
    'resnet8': _cifar(8, 16, (16, 32, 64)),
    'resnet14': _cifar(14, 16, (16, 32, 64)),
    'resnet20': _cifar(20, 16, (16, 32, 64)),
    'resnet32': _cifar(32, 16, (16, 32, 64)),
    'resnet44': _cifar(44, 16, (16, 32, 64)),
    'resnet56': _cifar(56, 16, (16, 32, 64)),
    'resnet110': _cifar(110, 16, (16, 32, 64)),
    'resnet8x4': _cifar(8, 32, (64, 128, 256)),
    'resnet32x4': _cifar(32, 32, (64, 128, 256)),
    'resnet18': (
        BasicBlock,
        64,
        (64, 128, 256, 512),
        (2, 2, 2, 2),
        (1, 2, 2, 2),
    ),
    'resnet50': (
        Bottleneck,
        64,
        (64, 128, 256, 512),
        (3, 4, 6, 3),
        (1, 2, 2, 2),
    ),
}


@MODELS.register_module()
class CifarResNet(StagedBackbone):
    """ResNets for 32x32 inputs: a 3x3 stride-1 stem and no max-pool.

    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016.
    ``resnet8`` ... ``resnet110``: the CIFAR networks of its Sec. 4.2 (depth
    6n+2, three stages of n basic blocks, 16/32/64 channels) with projection
    shortcuts; ``resnet8x4`` / ``resnet32x4``: 64/128/256 channels after a
    32-channel stem, as defined by CRD (Tian et al., "Contrastive
    Representation Distillation", ICLR 2020); ``resnet18`` / ``resnet50``:
    the ImageNet ResNet-18 / bottleneck ResNet-50 with the CIFAR stem, as
    used by CRD and most CIFAR KD work.

    Args:
        arch (str): One of ``ARCH_SETTINGS``.
        in_channels (int): Input channels. Defaults to 3.
        widen_factor (float): Scales every width (stem included), e.g. 0.5
            for a half-width student. Defaults to 1.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg`` of
            :class:`StagedBackbone`.

    Stage outputs for a ``(N, C, 32, 32)`` input, basic-block archs:
    ``(N, w1, 32, 32)``, ``(N, w2, 16, 16)``, ``(N, w3, 8, 8)``;
    ``resnet50``: 256/512/1024/2048 channels at 32/16/8/4 pixels.
    """

    def __init__(
        self,
        arch: str,
        in_channels: int = 3,
        widen_factor: float = 1,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if arch not in ARCH_SETTINGS:
            raise ConfigError(
                f'unknown CifarResNet arch {arch!r}; choose '
                f'from {sorted(ARCH_SETTINGS)}'
            )
        self.block, stem, planes, self.blocks, self.strides = ARCH_SETTINGS[
            arch
        ]
        self.arch = arch
        self.stem_channels = int(stem * widen_factor)
        self.planes = tuple(int(p * widen_factor) for p in planes)
        self.in_channels = in_channels
        self.num_stages = len(self.planes)
        self._build()

    @property
    def branch_init(self) -> dict:
        # HSAKD's resnet18/50 (its resnetv2.py) branches keep PyTorch's
        # default fc; its CIFAR ResNets zero the fc bias
        return dict(
            fc_std=None, fc_zero_bias=self.arch not in ('resnet18', 'resnet50')
        )

    def build_stem(self) -> Tuple[nn.Module, int]:
        return conv_bn(self.in_channels, self.stem_channels, 3), (
            self.stem_channels
        )

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        stride = self.strides[index] if stride is None else stride
        blocks = []
        for block in range(self.blocks[index]):
            blocks.append(
                self.block(
                    in_channels,
                    self.planes[index],
                    stride if block == 0 else 1,
                )
            )
            in_channels = self.planes[index] * self.block.expansion
        return nn.Sequential(*blocks), in_channels
