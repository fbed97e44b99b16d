"""SSKD's projection head (Xu et al., ECCV 2020)."""

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor


class ProjectionHead(BaseModule):
    """MLP ``d -> d -> d`` (Linear, ReLU, Linear) on a pooled feature.

    Its outputs are compared by cosine similarity across rotated views
    (:func:`~mmsamkd.models.utils.rotation_similarity`). Layers keep
    PyTorch's default initialisation, as the published code does.

    Args:
        channels (int): d, the width of the pooled feature.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(channels, channels),
            nn.ReLU(inplace=True),
            nn.Linear(channels, channels),
        )

    def forward(self, feature: Tensor) -> Tensor:
        return self.mlp(feature)
