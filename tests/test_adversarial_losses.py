"""The GAN losses of SAMKD's adversaries, by hand."""

import math

import pytest
import torch

from mmsamkd.models.losses import (
    AdversarialLoss,
    discriminator_loss,
    generator_loss,
)

REAL = torch.tensor([[2.0], [-1.0]])
FAKE = torch.tensor([[0.5], [-3.0]])


def softplus(x):
    return math.log1p(math.exp(x))


# ---------------------------------------------------------------- losses
def test_bce_losses_hand_values():
    # -log(sigmoid(r)) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    d = (softplus(-2.0) + softplus(1.0)) / 2 + (
        softplus(0.5) + softplus(-3.0)
    ) / 2
    g = (softplus(-0.5) + softplus(3.0)) / 2
    assert discriminator_loss(REAL, FAKE, 'bce').item() == pytest.approx(d)
    assert generator_loss(FAKE, 'bce').item() == pytest.approx(g)


def test_lsgan_losses_hand_values():
    # 0.5 * mean((r - 1)^2) + 0.5 * mean(f^2) = 0.5 * 2.5 + 0.5 * 4.625
    assert discriminator_loss(REAL, FAKE, 'lsgan').item() == pytest.approx(
        3.5625
    )
    # 0.5 * mean((f - 1)^2) = 0.5 * (0.25 + 16) / 2
    assert generator_loss(FAKE, 'lsgan').item() == pytest.approx(4.0625)


def test_hinge_losses_hand_values():
    # mean(relu(1 - r)) + mean(relu(1 + f)) = mean(0, 2) + mean(1.5, 0)
    assert discriminator_loss(REAL, FAKE, 'hinge').item() == pytest.approx(
        1.75
    )
    assert generator_loss(FAKE, 'hinge').item() == pytest.approx(1.25)


def test_adversarial_loss_weight_and_type_check():
    loss = AdversarialLoss('lsgan', loss_weight=0.5)
    assert loss(FAKE).item() == pytest.approx(0.5 * 4.0625)
    assert loss.discriminator(REAL, FAKE).item() == pytest.approx(3.5625)
    with pytest.raises(ValueError, match='gan_type'):
        AdversarialLoss('wgan')
