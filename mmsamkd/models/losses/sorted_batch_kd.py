"""LightSKD's DSR: this batch's sorted logits against the previous one's."""

import torch
import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .kl_divergence import kl_divergence


@MODELS.register_module()
class PreviousBatchSortedKD(nn.Module):
    """KL(T) from the previous batch's sorted logits to this batch's.

    Xu et al., "Lightweight Self-Knowledge Distillation with Multi-source
    Information Fusion", 2023 (DSR, beta 1, T=4). Each row of logits is
    sorted; row i of this batch learns the softened distribution of row i
    of the previous batch, detached. Gradients pass through the sort.

    State and edge cases, where the published script is silent or breaks:

    - the previous batch is kept across iterations and epochs (the script
      restarts it each epoch) and saved in checkpoints as this module's
      extra state, so a resumed run continues exactly;
    - the first batch of a run has nothing before it: the term is 0;
    - batches of different sizes (the last of an epoch) compare their
      first ``min`` rows;
    - the script updates the state only when DRG is on; here it always is.

    Args:
        tau (float): Temperature. Defaults to 4.
        loss_weight (float): Defaults to 1.

    Forward: ``preds_S``, the ``(N, C)`` logits of this batch.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight
        self.previous = None

    def forward(self, preds_S: Tensor) -> Tensor:
        current = preds_S.sort(dim=1).values
        previous, self.previous = self.previous, current.detach()
        if previous is None:
            return preds_S.sum() * 0
        if previous.shape[1] != current.shape[1]:
            raise ConfigError(
                f'the previous batch has {previous.shape[1]} classes, this '
                f'one {current.shape[1]}: DSR compares one model with itself'
            )
        previous = previous.to(current.device)
        rows = min(len(current), len(previous))
        loss = kl_divergence(current[:rows], previous[:rows], self.tau)
        return self.loss_weight * loss

    # A tensor, empty before the first batch: MMEngine broadcasts every
    # state-dict entry across ranks at start, which None would break.
    def get_extra_state(self) -> Tensor:
        if self.previous is None:
            return torch.empty(0)
        return self.previous

    def set_extra_state(self, state: Tensor) -> None:
        self.previous = state if state.numel() else None
