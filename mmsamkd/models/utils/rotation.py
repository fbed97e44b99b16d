"""The self-supervised augmented task: rotated views and joint labels.

Gidaris et al., "Unsupervised Representation Learning by Predicting Image
Rotations", ICLR 2018, as combined with classification by HSAKD (Yang et
al., "Hierarchical Self-supervised Augmented Knowledge Distillation",
IJCAI 2021): an image of class y seen at rotation k has joint label
``K * y + k``.

Views are image-major: for N images and K rotations, view ``i * K + k`` is
image i rotated by ``rotations[k]`` quarter turns, so ``views[0::K]`` are
the images themselves when ``rotations[0] == 0``.
"""

from typing import Sequence

import torch
from torch import Tensor

from ...errors import ConfigError

ROTATIONS = (0, 1, 2, 3)


def check_rotations(rotations: Sequence[int]) -> Sequence[int]:
    """Rotations are distinct quarter turns, the upright view first."""
    rotations = tuple(int(k) for k in rotations)
    if not rotations or rotations[0] != 0:
        raise ConfigError(
            f'rotations must start with 0 (the upright view that classifies '
            f'and is evaluated), got {rotations}'
        )
    if len(set(k % 4 for k in rotations)) != len(rotations):
        raise ConfigError(
            f'rotations must be distinct quarter turns, got {rotations}'
        )
    return rotations


def rotate_views(
    images: Tensor, rotations: Sequence[int] = ROTATIONS
) -> Tensor:
    """``(N, C, H, W)`` images -> ``(N * K, C, H, W)`` image-major views.

    Args:
        images (Tensor): Square images.
        rotations (Sequence[int]): Counter-clockwise quarter turns (as
            ``torch.rot90`` on the last two dims). Defaults to all four.
    """
    if images.shape[-1] != images.shape[-2]:
        raise ConfigError(
            f'rotated views need square images, got {tuple(images.shape)}; '
            'crop or resize to a square first'
        )
    views = torch.stack(
        [torch.rot90(images, k, dims=(-2, -1)) for k in rotations], dim=1
    )
    return views.flatten(0, 1)


def joint_labels(labels: Tensor, num_rotations: int) -> Tensor:
    """Labels ``(N,)`` -> joint labels ``(N * K,)``: ``K * y + k``."""
    offsets = torch.arange(num_rotations, device=labels.device)
    return (labels[:, None] * num_rotations + offsets).flatten()


def upright(views: Tensor, num_rotations: int) -> Tensor:
    """The upright (unrotated) rows of image-major ``views``."""
    return views[0::num_rotations]
