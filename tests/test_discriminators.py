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
