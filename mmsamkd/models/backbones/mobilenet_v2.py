"""MobileNetV2 for CIFAR (width 0.5, expansion 6), as in KD papers."""

from typing import Optional, Tuple

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .base import StagedBackbone, conv_bn

# expansion t (None: the network's T), channels c, repeats n, stride s
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (None, 24, 2, 1),
    (None, 32, 3, 2),
    (None, 64, 4, 2),
    (None, 96, 3, 1),
    (None, 160, 3, 2),
    (None, 320, 1, 1),
)
# which rows of the setting form each stage (the KD papers' feature taps)
STAGE_ROWS = ((0, 1), (2,), (3, 4), (5, 6))


class InvertedResidual(nn.Module):
    """1x1 expand, 3x3 depthwise, 1x1 linear projection (BN after each).

    The expansion convolution is kept even when the ratio is 1, as in the
    CIFAR definition the KD literature shares.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expand_ratio: int,
    ) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            conv_bn(in_channels, hidden, 1),
            conv_bn(hidden, hidden, 3, stride, groups=hidden),
            conv_bn(hidden, out_channels, 1, relu=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


@MODELS.register_module()
class CifarMobileNetV2(StagedBackbone):
    """MobileNetV2 for 32x32 inputs.

    Sandler et al., "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", CVPR 2018, in the CIFAR form of CRD (width 0.5, T=6, a
    1280-channel 1x1 conv before pooling). CRD and
    SSKD use a stride-2 stem; HSAKD a stride-1 stem (``stem_stride=1``),
    which keeps 2x larger maps (and 4x the FLOPs) with the same parameters.
    The 1x1 conv to 1280 channels is the post block (KD taps come before
    it).

    Args:
        widen_factor (float): Width multiplier. Defaults to 0.5.
        expand_ratio (int): T, the expansion of all but the first row.
            Defaults to 6.
        stem_stride (int): 2 (CRD/SSKD) or 1 (HSAKD). Defaults to 2.
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg``.

    Stage outputs for a ``(N, C, 32, 32)`` input and ``stem_stride=2``:
    ``(N, 12, 16, 16)``, ``(N, 16, 8, 8)``, ``(N, 48, 4, 4)``,
    ``(N, 1280, 2, 2)`` (the last after the post block; stage 3 itself
    gives 160 channels). Spatial sizes double with ``stem_stride=1``.
    """

    def __init__(
        self,
        widen_factor: float = 0.5,
        expand_ratio: int = 6,
        stem_stride: int = 2,
        in_channels: int = 3,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if stem_stride not in (1, 2):
            raise ConfigError(f'stem_stride must be 1 or 2, got {stem_stride}')
        self.widen_factor = widen_factor
        self.expand_ratio = expand_ratio
        self.stem_stride = stem_stride
        self.in_channels = in_channels
        self.num_stages = len(STAGE_ROWS)
        self._build()

    # HSAKD's MobileNetV2 branches: as the network's own init, fc N(0, 0.01)
    branch_init = dict(fc_std=0.01, fc_zero_bias=True)

    def build_stem(self) -> Tuple[nn.Module, int]:
        channels = int(32 * self.widen_factor)
        return conv_bn(self.in_channels, channels, 3, self.stem_stride), (
            channels
        )

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        blocks = []
        for row in STAGE_ROWS[index]:
            t, c, n, s = INVERTED_RESIDUAL_SETTING[row]
            if stride is not None and row == STAGE_ROWS[index][0]:
                s = stride
            width = int(c * self.widen_factor)
            for block in range(n):
                blocks.append(
                    InvertedResidual(
                        in_channels,
                        width,
                        s if block == 0 else 1,
                        self.expand_ratio if t is None else t,
                    )
                )
                in_channels = width
        return nn.Sequential(*blocks), in_channels

    def build_post(self, in_channels: int) -> Tuple[nn.Module, int]:
        wide = self.widen_factor > 1
        last = int(1280 * self.widen_factor) if wide else 1280
        return conv_bn(in_channels, last, 1), last
