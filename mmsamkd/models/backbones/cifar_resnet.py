"""CIFAR ResNets of the KD literature (resnet8 ... resnet110, x4 widths)."""

import torch.nn as nn
from mmpretrain.registry import MODELS

from .base import StagedBackbone, conv_bn

# depth -> stage widths (stem width first), as published by CRD.
ARCH_SETTINGS = {
    'resnet8': (8, (16, 16, 32, 64)),
    'resnet14': (14, (16, 16, 32, 64)),
    'resnet20': (20, (16, 16, 32, 64)),
    'resnet32': (32, (16, 16, 32, 64)),
    'resnet44': (44, (16, 16, 32, 64)),
    'resnet56': (56, (16, 16, 32, 64)),
    'resnet110': (110, (16, 16, 32, 64)),
    'resnet8x4': (8, (32, 64, 128, 256)),
    'resnet32x4': (32, (32, 64, 128, 256)),
}


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity or 1x1 conv-BN shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = conv_bn(in_channels, out_channels, 3, stride)
        self.conv2 = conv_bn(out_channels, out_channels, 3, relu=False)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = conv_bn(
                in_channels, out_channels, 1, stride, relu=False
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


@MODELS.register_module()
class CifarResNet(StagedBackbone):
    """ResNet for 32x32 inputs: a 3x3 stem, three stages of basic blocks.

    He et al., "Deep Residual Learning for Image Recognition", CVPR 2016
    (Sec. 4.2, the CIFAR-10 networks), with projection (1x1 conv) shortcuts
    and the widths used by CRD (Tian et al., "Contrastive Representation
    Distillation", ICLR 2020): 16/32/64, or 64/128/256 after a 32-channel
    stem for the x4 variants. Depth ``6n + 2`` gives ``n`` blocks per stage.

    Args:
        arch (str): One of ``ARCH_SETTINGS`` (``'resnet8'`` ...
            ``'resnet32x4'``).
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg`` of
            :class:`StagedBackbone`.

    Stage outputs for a ``(N, C, 32, 32)`` input: ``(N, w1, 32, 32)``,
    ``(N, w2, 16, 16)``, ``(N, w3, 8, 8)``.
    """

    def __init__(self, arch, in_channels=3, **kwargs):
        super().__init__(**kwargs)
        if arch not in ARCH_SETTINGS:
            raise ValueError(
                f'unknown CifarResNet arch {arch!r}; choose '
                f'from {sorted(ARCH_SETTINGS)}'
            )
        depth, widths = ARCH_SETTINGS[arch]
        blocks_per_stage = (depth - 2) // 6
        self.stem = conv_bn(in_channels, widths[0], 3)
        stages = []
        channels = widths[0]
        for index, width in enumerate(widths[1:]):
            blocks = []
            for block in range(blocks_per_stage):
                stride = 2 if index > 0 and block == 0 else 1
                blocks.append(BasicBlock(channels, width, stride))
                channels = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.stage_channels = tuple(widths[1:])
        self._finish_init()
