"""VGG with batch norm for CIFAR (vgg8, vgg13), as used in KD papers."""

from typing import List, Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .base import StagedBackbone

# arch -> convolutions per block (widths 64, 128, 256, 512, 512)
ARCH_SETTINGS = {
    'vgg8': (1, 1, 1, 1, 1),
    'vgg11': (1, 1, 2, 2, 2),
    'vgg13': (2, 2, 2, 2, 2),
}
WIDTHS = (64, 128, 256, 512, 512)


class PoolIfAbove(nn.Module):
    """2x2 max-pool, skipped when the map is already ``size`` or smaller.

    The CIFAR VGGs pool before the last block only for 64x64 inputs, so
    that block always sees a 4x4 map at 32 and 64 pixels.
    """

    def __init__(self, size: int = 4) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, 2) if x.shape[-1] > self.size else x


def vgg_block(in_channels: int, width: int, num_convs: int) -> List[nn.Module]:
    layers = []
    for _ in range(num_convs):
        layers += [
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        ]
        in_channels = width
    return layers


@MODELS.register_module()
class CifarVGG(StagedBackbone):
    """VGG-BN for 32x32 inputs: five conv blocks, max-pool between them.

    Simonyan and Zisserman, "Very Deep Convolutional Networks for
    Large-Scale Image Recognition", ICLR 2015, with batch norm and a single
    linear classifier on globally pooled features, as in CRD's CIFAR
    definitions (vgg8: one conv per block; vgg13: two). Convolutions keep
    their bias.

    Args:
        arch (str): ``'vgg8'``, ``'vgg11'`` or ``'vgg13'``.
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: ``out_indices``, ``frozen_stages``, ``init_cfg``.

    Stage outputs for a ``(N, C, 32, 32)`` input: ``(N, 64, 32, 32)``,
    ``(N, 128, 16, 16)``, ``(N, 256, 8, 8)``, ``(N, 512, 4, 4)``,
    ``(N, 512, 4, 4)``.
    """

    def __init__(self, arch: str, in_channels: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        if arch not in ARCH_SETTINGS:
            raise ConfigError(
                f'unknown CifarVGG arch {arch!r}; choose from '
                f'{sorted(ARCH_SETTINGS)}'
            )
        self.convs = ARCH_SETTINGS[arch]
        self.in_channels = in_channels
        self.num_stages = len(WIDTHS)
        self._build()

    # HSAKD's VGG branches define an init method that is never called
    branch_init = None

    @property
    def default_branch_taps(self) -> Tuple[int, ...]:
        # HSAKD: four branches, on blocks 0, 1, 2 and 4 (the features its
        # VGG returns); block 3's output feeds no branch
        return (0, 1, 2, 4)

    def make_branch(
        self, tap: int, extra_stage: bool
    ) -> Tuple[nn.Sequential, int]:
        """HSAKD's VGG branches; the one on the last block differs.

        That branch repeats blocks 3 and 4 at the last block's resolution
        (block 3 re-built for 512 input channels, no pooling) on the last
        block's output, as ``block_extractor4`` of the published VGG
        auxiliary classifier does. The other taps use the generic copy.
        """
        last = self.num_stages - 1
        if tap != last:
            return super().make_branch(tap, extra_stage)
        channels = self.stage_channels[last]
        layers = []
        for index in (last - 1, last):
            stage, channels = self.build_stage(index, channels, stride=1)
            layers.append(stage)
        return nn.Sequential(*layers), channels

    def build_stem(self) -> Tuple[nn.Module, int]:
        return nn.Identity(), self.in_channels

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        layers = []
        if stride == 1 or index == 0:
            pass  # no pooling: the input keeps its size
        elif index == self.num_stages - 1:
            layers.append(PoolIfAbove(4))
        else:
            layers.append(nn.MaxPool2d(2, 2))
        layers += vgg_block(in_channels, WIDTHS[index], self.convs[index])
        return nn.Sequential(*layers), WIDTHS[index]
