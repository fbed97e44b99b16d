"""Wide ResNets for CIFAR (wrn_16_2, wrn_40_1, wrn_40_2 ...)."""

from typing import Optional, Tuple

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .base import StagedBackbone


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3 twice; a 1x1 conv shortcut when the width changes.

    As in the WRN paper's reference code, the shortcut of a width-changing
    block starts from the pre-activated input.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1
    ) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, 1, bias=False
        )
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.relu = nn.ReLU(inplace=False)
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, 0, bias=False
            )

    def forward(self, x: Tensor) -> Tensor:
        activated = self.relu(self.bn1(x))
        out = self.conv2(self.relu(self.bn2(self.conv1(activated))))
        identity = x if self.shortcut is None else self.shortcut(activated)
        return out + identity


@MODELS.register_module()
class WideResNet(StagedBackbone):
    """WRN-d-k for 32x32 inputs: three stages of pre-activation blocks.

    Zagoruyko and Komodakis, "Wide Residual Networks", BMVC 2016. Widths
    16k/32k/64k after a 16-channel stem, ``(depth - 4) / 6`` blocks per
    stage; the final BN-ReLU is the post block.

    Args:
        depth (int): ``6n + 4`` (16, 40 ...).
        widen_factor (int): k.
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg``.

    Stage outputs for a ``(N, C, 32, 32)`` input: ``(N, 16k, 32, 32)``,
    ``(N, 32k, 16, 16)``, ``(N, 64k, 8, 8)``.
    """

    def __init__(
        self, depth: int, widen_factor: int, in_channels: int = 3, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if (depth - 4) % 6:
            raise ConfigError(f'WideResNet depth must be 6n+4, got {depth}')
        self.blocks_per_stage = (depth - 4) // 6
        self.widths = (16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.in_channels = in_channels
        self.num_stages = 3
        self._build()

    def build_stem(self) -> Tuple[nn.Module, int]:
        return nn.Conv2d(self.in_channels, 16, 3, 1, 1, bias=False), 16

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        stride = (1 if index == 0 else 2) if stride is None else stride
        width = self.widths[index]
        blocks = []
        for block in range(self.blocks_per_stage):
            blocks.append(
                PreActBlock(in_channels, width, stride if block == 0 else 1)
            )
            in_channels = width
        return nn.Sequential(*blocks), width

    def build_post(self, in_channels: int) -> Tuple[nn.Module, int]:
        post = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True)
        )
        return post, in_channels
