"""GAN objectives for adversarial distillation (teacher real, student fake).

The maths as pure functions of discriminator scores (raw, unbounded):
- ``bce``: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014,
  with the non-saturating generator loss.
- ``lsgan``: Mao et al., "Least Squares Generative Adversarial Networks",
  ICCV 2017 (targets a=0, b=1, c=1, with the paper's 1/2 factors).
- ``hinge``: Lim and Ye, "Geometric GAN", 2017; Miyato et al., "Spectral
  Normalization for GANs", ICLR 2018.
"""

import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from ..utils.precision import at_least_fp32

GAN_TYPES = ('bce', 'lsgan', 'hinge')


def discriminator_loss(real: Tensor, fake: Tensor, gan_type: str) -> Tensor:
    """Loss of a discriminator scoring ``real`` (teacher) and ``fake``,
    in fp32 at least (mixed precision's scores are fp16 or bf16)."""
    real, fake = at_least_fp32(real), at_least_fp32(fake)
    if gan_type == 'bce':
        return F.binary_cross_entropy_with_logits(
            real, real.new_ones(real.shape)
        ) + F.binary_cross_entropy_with_logits(
            fake, fake.new_zeros(fake.shape)
        )
    if gan_type == 'lsgan':
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
    if gan_type == 'hinge':
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    raise ConfigError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')


def generator_loss(fake: Tensor, gan_type: str) -> Tensor:
    """Loss of the student whose outputs the discriminator scored ``fake``
    (in fp32, as :func:`discriminator_loss`)."""
    fake = at_least_fp32(fake)
    if gan_type == 'bce':
        return F.binary_cross_entropy_with_logits(
            fake, fake.new_ones(fake.shape)
        )
    if gan_type == 'lsgan':
        return 0.5 * ((fake - 1) ** 2).mean()
    if gan_type == 'hinge':
        return -fake.mean()
    raise ConfigError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')


@MODELS.register_module()
class AdversarialLoss(nn.Module):
    """Discriminator and generator losses of one GAN objective.

    Args:
        gan_type (str): ``'bce'``, ``'lsgan'`` or ``'hinge'``. Defaults to
            ``'bce'``.
        loss_weight (float): Weight of the generator loss (the student's
            term). The discriminator loss is not weighted. Defaults to 1.
    """

    def __init__(self, gan_type: str = 'bce', loss_weight: float = 1.0):
        super().__init__()
        if gan_type not in GAN_TYPES:
            raise ConfigError(
                f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}'
            )
        self.gan_type = gan_type
        self.loss_weight = loss_weight

    def discriminator(self, real: Tensor, fake: Tensor) -> Tensor:
        """Scores ``(N, 1)`` of teacher and (detached) student outputs."""
        return discriminator_loss(real, fake, self.gan_type)

    def forward(self, fake: Tensor) -> Tensor:
        """Weighted generator loss from the scores of student outputs."""
        return self.loss_weight * generator_loss(fake, self.gan_type)
