"""LightSKD's shallow-feature adapter (DRG).

Xu et al., "Lightweight Self-Knowledge Distillation with Multi-source
Information Fusion", 2023 (code: xucong-parsifal/LightSKD). The adapter
reads an intermediate stage, weighs it with an attention mask, and
reaches a prediction of its own through separable convolutions.
"""

from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor


class SepConv(nn.Sequential):
    """Two depthwise-separable 3x3 convolutions, each with BN and ReLU;
    the first carries the stride."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 2
    ) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels,
                in_channels,
                3,
                stride,
                1,
                groups=in_channels,
                bias=False,
            ),
            nn.Conv2d(in_channels, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),
            nn.Conv2d(
                in_channels,
                in_channels,
                3,
                1,
                1,
                groups=in_channels,
                bias=False,
            ),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ShallowAdapter(BaseModule):
    """Attention mask, downsampling separable convs, pooling and an FC.

    The mask is a stride-2 :class:`SepConv` of the input, BN and ReLU,
    resized back to the input's size (bilinear) and squashed by a sigmoid;
    it multiplies the input. One stride-2 :class:`SepConv` per later stage
    of the backbone then takes the width through ``widths`` (the published
    adapter for ResNet-18's second stage: 128 -> 256 -> 512), followed by
    global average pooling and ``fc``.

    Two generalisations of the published code, which fits one width and
    one input size: the widths come from the backbone, and the mask is
    resized to the input's exact size (the published ``Upsample(x2)``
    misses by one on odd sizes).

    Args:
        in_channels (int): Width of the tapped stage.
        widths (Sequence[int]): Widths of the later stages, in order.
        num_classes (int): Classes of the prediction.
    """

    def __init__(
        self, in_channels: int, widths: Sequence[int], num_classes: int
    ) -> None:
        super().__init__()
        self.attention = nn.Sequential(
            SepConv(in_channels, in_channels),
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),
        )
        layers, channels = [], in_channels
        for width in widths:
            layers.append(SepConv(channels, width))
            channels = width
        self.convs = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        mask = F.interpolate(
            self.attention(x),
            size=x.shape[-2:],
            mode='bilinear',
            align_corners=True,
        )
        x = x * mask.sigmoid()
        return self.fc(self.pool(self.convs(x)).flatten(1))
