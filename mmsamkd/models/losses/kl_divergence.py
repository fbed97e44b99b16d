"""The temperature-scaled KL divergence of knowledge distillation."""

import torch.nn.functional as F
from torch import Tensor

from ..utils.precision import at_least_fp32


def kl_divergence(preds_S: Tensor, preds_T: Tensor, tau: float) -> Tensor:
    """``KL(softmax(t / tau) || softmax(s / tau)) * tau**2``, batch mean.

    Hinton et al., "Distilling the Knowledge in a Neural Network", 2015;
    the ``tau**2`` keeps gradients of the same size across temperatures.
    The teacher side is detached. Same value as MMRazor's ``KLDivergence``
    with ``reduction='batchmean'``. Computed in fp32 at least: under mixed
    precision, softmax at a temperature in bf16 keeps three significant
    digits.

    Args:
        preds_S (Tensor): ``(M, C)`` student scores (logits).
        preds_T (Tensor): ``(M, C)`` teacher scores.
        tau (float): Temperature.
    """
    preds_S, preds_T = at_least_fp32(preds_S), at_least_fp32(preds_T.detach())
    return (
        F.kl_div(
            F.log_softmax(preds_S / tau, dim=1),
            F.softmax(preds_T / tau, dim=1),
            reduction='batchmean',
        )
        * tau**2
    )
