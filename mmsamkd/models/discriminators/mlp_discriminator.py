"""A small MLP that tells teacher outputs from student outputs."""

import torch.nn as nn
from mmrazor.registry import MODELS


@MODELS.register_module()
class MLPDiscriminator(nn.Module):
    """MLP scoring a vector (a pooled feature or logits): one raw score.

    Linear layers with LeakyReLU(0.2) between them, as in the DCGAN
    discriminator (Radford et al., ICLR 2016); spectral normalisation
    (Miyato et al., ICLR 2018) optionally bounds each layer's Lipschitz
    constant, which steadies adversarial distillation.

    Args:
        in_channels (int): Length of the scored vectors.
        hidden_channels (Sequence[int]): Widths of the hidden layers.
            Defaults to ``(256, )``.
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
        spectral_norm (bool): Spectral-normalise every linear layer.
            Defaults to False.
    """

    def __init__(
        self,
        in_channels,
        hidden_channels=(256,),
        negative_slope=0.2,
        spectral_norm=False,
    ):
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

    def forward(self, x):
        """``(N, in_channels)`` (more dims are flattened) -> ``(N, 1)``."""
        return self.layers(x.flatten(1))
