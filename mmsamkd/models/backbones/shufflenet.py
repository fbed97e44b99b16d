"""ShuffleNetV1 (g=3) and ShuffleNetV2 (1x) for CIFAR, as in KD papers."""

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .base import StagedBackbone, conv_bn


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet's shuffle)."""
    n, c, h, w = x.shape
    return (
        x.view(n, groups, c // groups, h, w)
        .transpose(1, 2)
        .reshape(n, c, h, w)
    )


class ShuffleV1Unit(nn.Module):
    """Grouped 1x1, shuffle, depthwise 3x3, grouped 1x1; add or concat.

    A stride-2 unit concatenates a 3x3 average-pooled shortcut, so its
    branch produces ``out_channels - in_channels`` channels. The first
    grouped conv of the network (24 input channels) is not grouped.
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, groups: int
    ) -> None:
        super().__init__()
        self.stride = stride
        branch = out_channels - in_channels if stride == 2 else out_channels
        mid = branch // 4
        self.first_groups = 1 if in_channels == 24 else groups
        self.conv1 = conv_bn(in_channels, mid, 1, groups=self.first_groups)
        self.conv2 = conv_bn(mid, mid, 3, stride, groups=mid)
        self.conv3 = conv_bn(mid, branch, 1, groups=groups, relu=False)

    def forward(self, x: Tensor) -> Tensor:
        out = channel_shuffle(self.conv1(x), self.first_groups)
        out = self.conv3(self.conv2(out))
        if self.stride == 2:
            out = torch.cat([out, F.avg_pool2d(x, 3, 2, 1)], 1)
        else:
            out = out + x
        return F.relu(out)


@MODELS.register_module()
class CifarShuffleNetV1(StagedBackbone):
    """ShuffleNetV1 for 32x32 inputs (1x1 stem, three stages).

    Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural
    Network for Mobile Devices", CVPR 2018, in CRD's CIFAR form: a 24-channel
    1x1 stem without pooling; stages of 4/8/4 units ending at 240/480/960
    channels for g=3, each opening with a stride-2 unit.

    Args:
        groups (int): Groups of the 1x1 convolutions. Defaults to 3.
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg``.

    Stage outputs for a ``(N, C, 32, 32)`` input: ``(N, 240, 16, 16)``,
    ``(N, 480, 8, 8)``, ``(N, 960, 4, 4)``.
    """

    OUT_CHANNELS = {3: (240, 480, 960)}
    UNITS = (4, 8, 4)

    def __init__(
        self, groups: int = 3, in_channels: int = 3, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if groups not in self.OUT_CHANNELS:
            raise ConfigError(
                f'ShuffleNetV1 groups must be one of '
                f'{sorted(self.OUT_CHANNELS)}, got {groups}'
            )
        self.groups = groups
        self.in_channels = in_channels
        self.num_stages = len(self.UNITS)
        self._build()

    def build_stem(self) -> Tuple[nn.Module, int]:
        return conv_bn(self.in_channels, 24, 1), 24

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        stride = 2 if stride is None else stride
        width = self.OUT_CHANNELS[self.groups][index]
        blocks = []
        for unit in range(self.UNITS[index]):
            blocks.append(
                ShuffleV1Unit(
                    in_channels, width, stride if unit == 0 else 1, self.groups
                )
            )
            in_channels = width
        return nn.Sequential(*blocks), width


class ShuffleV2Unit(nn.Module):
    """Split channels in half, transform one half, concat and shuffle."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.branch = nn.Sequential(
            conv_bn(half, half, 1),
            conv_bn(half, half, 3, groups=half, relu=False),
            conv_bn(half, half, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        kept, changed = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat([kept, self.branch(changed)], 1), 2)


class ShuffleV2DownUnit(nn.Module):
    """Down-sampling unit: both halves are transformed, channels grow.

    ``stride=1`` gives the same unit without down-sampling (for branches).
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 2
    ) -> None:
        super().__init__()
        mid = out_channels // 2
        self.left = nn.Sequential(
            conv_bn(
                in_channels,
                in_channels,
                3,
                stride,
                groups=in_channels,
                relu=False,
            ),
            conv_bn(in_channels, mid, 1),
        )
        self.right = nn.Sequential(
            conv_bn(in_channels, mid, 1),
            conv_bn(mid, mid, 3, stride, groups=mid, relu=False),
            conv_bn(mid, mid, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return channel_shuffle(torch.cat([self.left(x), self.right(x)], 1), 2)


@MODELS.register_module()
class CifarShuffleNetV2(StagedBackbone):
    """ShuffleNetV2 for 32x32 inputs (1x1 stem, three stages).

    Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN
    Architecture Design", ECCV 2018, in CRD's CIFAR form (also HSAKD's): a
    1x1 conv-BN-ReLU stem with 24 channels and no pooling (their 3x3 stem
    line is commented out), stages of one down unit plus 3/7/3 units; the
    final 1x1 conv (1024 channels for 1x) is the post block.

    Args:
        widen_factor (float): Network size; 1.0 is the 1x network.
            Defaults to 1.0.
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg``.

    Stage outputs for a ``(N, C, 32, 32)`` input (1x): ``(N, 116, 16, 16)``,
    ``(N, 232, 8, 8)``, ``(N, 1024, 4, 4)`` (the last after the post block;
    stage 2 itself gives 464 channels).
    """

    OUT_CHANNELS = {
        0.5: (48, 96, 192, 1024),
        1.0: (116, 232, 464, 1024),
        1.5: (176, 352, 704, 1024),
        2.0: (224, 488, 976, 2048),
    }
    UNITS = (3, 7, 3)

    def __init__(
        self, widen_factor: float = 1.0, in_channels: int = 3, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if widen_factor not in self.OUT_CHANNELS:
            raise ConfigError(
                f'ShuffleNetV2 widen_factor must be one of '
                f'{sorted(self.OUT_CHANNELS)}'
            )
        self.widths = self.OUT_CHANNELS[widen_factor]
        self.in_channels = in_channels
        self.num_stages = len(self.UNITS)
        self._build()

    # HSAKD's ShuffleNetV2 branches have no init of their own
    branch_init = None

    def build_stem(self) -> Tuple[nn.Module, int]:
        return conv_bn(self.in_channels, 24, 1), 24

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        width = self.widths[index]
        blocks = [ShuffleV2DownUnit(in_channels, width, stride or 2)]
        blocks += [ShuffleV2Unit(width) for _ in range(self.UNITS[index])]
        return nn.Sequential(*blocks), width

    def build_post(self, in_channels: int) -> Tuple[nn.Module, int]:
        return conv_bn(in_channels, self.widths[3], 1), self.widths[3]
