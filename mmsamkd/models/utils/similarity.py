"""SSKD's self-supervision signal: how rotated views match upright ones.

Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV 2020: for
N images and their rotated views, each rotated view's projection is
compared by cosine similarity with every upright projection. The
contrastive task is to find, in each row, the view's own image.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def rotation_similarity(projections: Tensor, num_rotations: int) -> Tensor:
    """Cosine similarity of every rotated view with every upright view.

    Args:
        projections (Tensor): ``(N * K, D)`` image-major projections (view
            ``i * K`` upright, views ``i * K + 1 ..`` its rotations).
        num_rotations (int): K, including the upright view.

    Returns:
        Tensor: ``(N * (K - 1), N)``; row ``i * (K - 1) + j`` holds rotated
        view j of image i against the N upright views, so its own image is
        column i (:func:`similarity_targets`).
    """
    views = projections.unflatten(0, (-1, num_rotations))
    upright = F.normalize(views[:, 0], dim=1)
    rotated = F.normalize(views[:, 1:].flatten(0, 1), dim=1)
    return rotated @ upright.t()


def similarity_targets(
    num_images: int, num_rotations: int, device: Optional[torch.device] = None
) -> Tensor:
    """The column of each row's own image: ``i`` repeated ``K - 1`` times."""
    images = torch.arange(num_images, device=device)
    return images.repeat_interleave(num_rotations - 1)
