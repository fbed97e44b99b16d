"""A small convolutional discriminator that scores every position of a
feature map."""

from typing import Sequence

import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError


@MODELS.register_module()
class PatchDiscriminator(nn.Module):
    """Convolutions that score each receptive field of a map: ``(N, 1, H,
    W)`` raw scores.

    The PatchGAN idea (Isola et al., "Image-to-Image Translation with
    Conditional Adversarial Networks", CVPR 2017) on a feature map instead
    of an image: every position is judged real or fake on its own, so the
    student must match the teacher's map where it is, not only its global
    average. 3x3 convolutions (stride 1, padding 1, keeping the map's size)
    with LeakyReLU(0.2) between them, then a 1x1 convolution to one score.

    Args:
        in_channels (int): Channels of the judged maps.
        hidden_channels (Sequence[int]): Widths of the 3x3 layers.
            Defaults to ``(64, )``.
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
        spectral_norm (bool): Spectral-normalise every convolution.
            Defaults to False.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: Sequence[int] = (64,),
        negative_slope: float = 0.2,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        layers = []
        widths = [in_channels, *hidden_channels]
        convs = [
            nn.Conv2d(a, b, 3, padding=1) for a, b in zip(widths, widths[1:])
        ]
        convs.append(nn.Conv2d(widths[-1], 1, 1))
        for index, conv in enumerate(convs):
            if spectral_norm:
                conv = nn.utils.parametrizations.spectral_norm(conv)
            layers.append(conv)
            if index < len(convs) - 1:
                layers.append(nn.LeakyReLU(negative_slope))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, in_channels, H, W)`` -> ``(N, 1, H, W)``."""
        if x.dim() != 4:
            raise ConfigError(
                'PatchDiscriminator judges feature maps (N, C, H, W), got '
                f'shape {tuple(x.shape)}: record the map (ModuleOutputs of '
                'the layers before pooling) and set spatial=True on its pair'
            )
        return self.layers(x)
