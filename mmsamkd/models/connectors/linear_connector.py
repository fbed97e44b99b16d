"""Map pooled student features to the teacher's width."""

from typing import Optional

import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import (
    BaseConnector,
)
from mmrazor.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class LinearConnector(BaseConnector):
    """A linear map ``(N, in_channels) -> (N, out_channels)``.

    Lets one discriminator compare pooled student and teacher features of
    different widths (the student side is mapped; the teacher's is kept).

    Args:
        in_channels (int): Student feature width.
        out_channels (int): Teacher feature width.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg)
        self.linear = nn.Linear(in_channels, out_channels)

    def forward_train(self, feature: Tensor) -> Tensor:
        return self.linear(feature.flatten(1))
