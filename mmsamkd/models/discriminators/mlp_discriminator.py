"""A small MLP that tells teacher outputs from student outputs."""

from typing import Optional, Sequence

import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError


@MODELS.register_module()
class MLPDiscriminator(nn.Module):
    """MLP scoring a vector (a pooled feature or logits): one raw score.

    Linear layers with LeakyReLU(0.2) between them, as in the DCGAN
    discriminator (Radford et al., ICLR 2016); spectral normalisation
    (Miyato et al., ICLR 2018) optionally bounds each layer's Lipschitz
    constant, which steadies adversarial distillation.

    With ``num_classes`` the score is conditioned on a label by projection
    (Miyato and Koyama, "cGANs with Projection Discriminator", ICLR 2018):
    ``out(h) + <embed(y), h>``, with ``h`` the last hidden activation, so
    that the discriminator judges whether an output fits its class, not
    only whether it looks like the teacher's outputs in general.

    With ``num_rotations`` a second head on the same last hidden activation
    classifies which rotation a row was seen at
    (:meth:`rotation_logits`): the auxiliary rotation task of
    self-supervised GANs (Chen et al., "Self-Supervised GANs via Auxiliary
    Rotation Loss", CVPR 2019), trained on real rows only.

    Args:
        in_channels (int): Length of the scored vectors.
        hidden_channels (Sequence[int]): Widths of the hidden layers.
            Defaults to ``(256, )``.
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
        spectral_norm (bool): Spectral-normalise every linear layer.
            Defaults to False.
        num_classes (int, optional): Classes of the conditioning labels;
            None scores without a label. Defaults to None.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: Sequence[int] = (256,),
        negative_slope: float = 0.2,
        spectral_norm: bool = False,
        num_classes: Optional[int] = None,
        num_rotations: Optional[int] = None,
    ) -> None:
        super().__init__()
        widths = [in_channels, *hidden_channels, 1]
        layers = []
        for index, (cin, cout) in enumerate(zip(widths, widths[1:])):
            linear = nn.Linear(cin, cout)
            if spectral_norm:
                linear = nn.utils.parametrizations.spectral_norm(linear)
            layers.append(linear)
            if index < len(widths) - 2:
                layers.append(nn.LeakyReLU(negative_slope))
        self.layers = nn.Sequential(*layers)
        self.num_classes = num_classes
        if num_classes is not None:
            # the projection acts on the input of the last layer
            self.embed = nn.Embedding(num_classes, widths[-2])
            if spectral_norm:
                self.embed = nn.utils.parametrizations.spectral_norm(
                    self.embed
                )
        self.num_rotations = num_rotations
        if num_rotations is not None:
            self.rotation_head = nn.Linear(widths[-2], num_rotations)
            if spectral_norm:
                self.rotation_head = nn.utils.parametrizations.spectral_norm(
                    self.rotation_head
                )

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        """``(N, in_channels)`` (more dims are flattened) -> ``(N, 1)``;
        ``labels`` ``(N,)`` when the discriminator is conditional."""
        if (labels is None) != (self.num_classes is None):
            raise ConfigError(
                'a conditional MLPDiscriminator (num_classes set) needs '
                'labels, and an unconditional one takes none'
            )
        x = x.flatten(1)
        if labels is None:
            return self.layers(x)
        hidden = self.layers[:-1](x)
        projection = (self.embed(labels) * hidden).sum(1, keepdim=True)
        return self.layers[-1](hidden) + projection

    def rotation_logits(self, x: Tensor) -> Tensor:
        """``(N, in_channels)`` -> ``(N, num_rotations)`` rotation logits,
        from the hidden activation the score is read from."""
        if self.num_rotations is None:
            raise ConfigError(
                'this MLPDiscriminator has no rotation head: build it with '
                'num_rotations'
            )
        return self.rotation_head(self.layers[:-1](x.flatten(1)))
