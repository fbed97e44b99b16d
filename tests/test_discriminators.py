"""The discriminators: MLP (spectral norm, projection, rotation head) and
patch."""

import pytest
import torch
from mmengine.registry import MODELS

from mmsamkd.errors import ConfigError


def test_spectral_norm_discriminator():
    disc = MODELS.build(
        dict(
            type='mmrazor.MLPDiscriminator',
            in_channels=8,
            hidden_channels=(16, 4),
            spectral_norm=True,
        )
    )
    assert disc(torch.rand(5, 8)).shape == (5, 1)
    assert hasattr(disc.layers[0], 'parametrizations')
    with pytest.raises(ConfigError, match='build it with num_rotations'):
        disc.rotation_logits(torch.rand(5, 8))
    rotating = MODELS.build(
        dict(
            type='mmrazor.MLPDiscriminator',
            in_channels=8,
            spectral_norm=True,
            num_rotations=4,
        )
    )
    assert rotating.rotation_logits(torch.rand(5, 8)).shape == (5, 4)
    assert hasattr(rotating.rotation_head, 'parametrizations')


def test_patch_discriminator_scores_each_position_locally():
    disc = MODELS.build(
        dict(
            type='mmrazor.PatchDiscriminator',
            in_channels=3,
            hidden_channels=(4,),
        )
    )
    x = torch.rand(2, 3, 6, 5)
    y = x.clone()
    y[0, :, 0, 0] += 1.0
    before, after = disc(x), disc(y)
    assert before.shape == (2, 1, 6, 5)
    moved = (before - after).abs()[0, 0] > 0
    # one 3x3 layer, then 1x1: only the 2x2 corner sees position (0, 0)
    assert moved[:2, :2].all() and moved.sum() == 4
    assert torch.equal(before[1], after[1])
    with pytest.raises(ValueError, match='set spatial=True'):
        disc(torch.rand(2, 3))


def leaky(pre):
    """LeakyReLU with slope 0.2, by hand, on values with negatives (so that
    the slope is exercised)."""
    assert (pre < 0).any()
    return torch.where(pre > 0, pre, 0.2 * pre)


def test_mlp_discriminator_values_by_hand():
    """Score, projection term and rotation logits against the formulas:
    h = LeakyReLU_0.2(W1 x + b1), score = w2 . h + b2 (+ e_y . h when
    conditional, Miyato and Koyama, "cGANs with Projection Discriminator",
    ICLR 2018), rotation logits = R h + r."""
    torch.manual_seed(0)
    disc = MODELS.build(
        dict(
            type='mmrazor.MLPDiscriminator',
            in_channels=3,
            hidden_channels=(4,),
            num_classes=2,
            num_rotations=4,
        )
    )
    first, last = disc.layers[0], disc.layers[-1]
    x = torch.randn(5, 3, 1, 1)  # pooled maps are flattened
    labels = torch.tensor([0, 1, 1, 0, 1])
    h = leaky(x.flatten(1) @ first.weight.T + first.bias)
    score = h @ last.weight.T + last.bias
    projection = (disc.embed.weight[labels] * h).sum(1, keepdim=True)
    with torch.no_grad():
        assert torch.allclose(disc(x, labels), score + projection, atol=1e-6)
        rotation = h @ disc.rotation_head.weight.T + disc.rotation_head.bias
        assert torch.allclose(disc.rotation_logits(x), rotation, atol=1e-6)
        unconditional = MODELS.build(
            dict(type='mmrazor.MLPDiscriminator', in_channels=3)
        )
        with pytest.raises(ConfigError, match='takes none'):
            unconditional(x, labels)


def test_patch_discriminator_values_by_hand():
    """3x3 conv (padding 1), LeakyReLU 0.2, 1x1 conv to one score."""
    torch.manual_seed(0)
    disc = MODELS.build(
        dict(
            type='mmrazor.PatchDiscriminator',
            in_channels=3,
            hidden_channels=(4,),
        )
    )
    conv, score = disc.layers[0], disc.layers[-1]
    x = torch.randn(2, 3, 5, 4)
    h = leaky(torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1))
    expected = torch.einsum('nchw,c->nhw', h, score.weight[0, :, 0, 0])
    expected = expected.unsqueeze(1) + score.bias
    with torch.no_grad():
        assert torch.allclose(disc(x), expected, atol=1e-6)
