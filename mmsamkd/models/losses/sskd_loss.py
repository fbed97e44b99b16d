"""SSKD's distillation losses on rotated views.

Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV 2020
(https://arxiv.org/abs/2006.07114). With image-major views (K per image,
the upright one first) the student learns from the teacher's

- class scores on the upright views (plain KD, :class:`RotatedViewsKD`
  with ``views='upright'``),
- class scores on the rotated views, only those the teacher ranks well
  (``views='rotated'``, ``wrong_keep_ratio``),
- similarity matrices of the rotated against the upright projections,
  only the rows the teacher ranks well (:class:`SimilarityKD`).

"Ranks well" follows the published code: a row whose target the
teacher puts first is kept; of the others, the share ``wrong_keep_ratio``
with the best rank of their target is kept. Two deliberate differences
from that code, both on ties only: a target's rank counts the scores
strictly above it, and equal ranks keep row order (a stable sort).
"""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from ..utils import (
    check_rotations,
    image_classes,
    rotation_similarity,
    upright,
)
from .kl_divergence import kl_divergence

VIEWS = ('upright', 'rotated')


def error_ranked_rows(
    scores: Tensor, targets: Tensor, wrong_keep_ratio: float
) -> Tensor:
    """Indices (ascending) of the rows SSKD distils.

    Args:
        scores (Tensor): ``(M, C)`` teacher scores.
        targets (Tensor): ``(M,)`` the correct column of each row.
        wrong_keep_ratio (float): Share of the misranked rows to keep,
            those whose target ranks best first.
    """
    target_scores = scores.gather(1, targets[:, None])
    rank = (scores > target_scores).sum(dim=1)
    num_wrong = int((rank > 0).sum())
    num_keep = len(rank) - num_wrong + int(num_wrong * wrong_keep_ratio)
    order = torch.sort(rank, stable=True).indices
    return order[:num_keep].sort().values


def _check_ratio(wrong_keep_ratio):
    if not 0 <= wrong_keep_ratio <= 1:
        raise ConfigError(
            f'wrong_keep_ratio is a share of rows, in [0, 1]; got '
            f'{wrong_keep_ratio}'
        )


def _selected_kl(preds_S, preds_T, rows, tau):
    if len(rows) == 0:  # nothing the teacher gets right enough
        return preds_S.sum() * 0
    return kl_divergence(preds_S[rows], preds_T[rows], tau)


@MODELS.register_module()
class RotatedViewsKD(nn.Module):
    """KD on the upright views, or on the rotated views ranked by error.

    Args:
        views (str): ``'upright'`` (SSKD's KD term: weight 0.9, tau 4) or
            ``'rotated'`` (its transformation term: weight 2.7, tau 4).
        tau (float): Temperature. Defaults to 4.
        loss_weight (float): Defaults to 1.
        rotations (Sequence[int]): The models' rotations, 0 first.
        wrong_keep_ratio (float): For ``'rotated'``: share of the views
            whose label the teacher does not rank first that are kept
            (SSKD's ``ratio_tf``). Defaults to 1 (all).

    Forward: ``preds_S`` and ``preds_T``, ``(N * K, C)`` logits of all
    views; for ``'rotated'`` with ``wrong_keep_ratio < 1`` also
    ``data_samples`` (their ``gt_label``, the class of each image).
    """

    def __init__(
        self,
        views: str = 'upright',
        tau: float = 4.0,
        loss_weight: float = 1.0,
        rotations: Sequence[int] = (0, 1, 2, 3),
        wrong_keep_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        if views not in VIEWS:
            raise ConfigError(f'views must be one of {VIEWS}, got {views!r}')
        _check_ratio(wrong_keep_ratio)
        self.views = views
        self.tau = tau
        self.loss_weight = loss_weight
        self.num_rotations = len(check_rotations(rotations))
        self.wrong_keep_ratio = wrong_keep_ratio

    def forward(
        self,
        preds_S: Tensor,
        preds_T: Tensor,
        data_samples: Optional[Sequence[DataSample]] = None,
    ) -> Tensor:
        if preds_S.shape != preds_T.shape:
            raise ConfigError(
                f'student logits {tuple(preds_S.shape)} and teacher logits '
                f'{tuple(preds_T.shape)} differ: both models must predict '
                'the same classes on the same views'
            )
        if preds_S.shape[0] % self.num_rotations:
            raise ConfigError(
                f'{preds_S.shape[0]} rows are not whole groups of '
                f'{self.num_rotations} views'
            )
        k = self.num_rotations
        if self.views == 'upright':
            loss = kl_divergence(
                upright(preds_S, k), upright(preds_T, k), self.tau
            )
            return self.loss_weight * loss
        rotated = (
            torch.arange(preds_S.shape[0], device=preds_S.device) % k != 0
        )
        preds_S, preds_T = preds_S[rotated], preds_T[rotated]
        if self.wrong_keep_ratio >= 1:
            rows = torch.arange(preds_S.shape[0], device=preds_S.device)
        else:
            if data_samples is None:
                raise ConfigError(
                    'RotatedViewsKD with wrong_keep_ratio < 1 ranks the '
                    "teacher's errors and needs the labels: map "
                    'data_samples to a MethodInputs recorder of the '
                    "student's loss (configs/_base_/models/sskd.py)"
                )
            labels = image_classes(
                data_samples,
                'RotatedViewsKD (wrong_keep_ratio < 1)',
                preds_S.device,
            ).repeat_interleave(k - 1)
            rows = error_ranked_rows(
                preds_T.detach(), labels, self.wrong_keep_ratio
            )
        return self.loss_weight * _selected_kl(
            preds_S, preds_T, rows, self.tau
        )


@MODELS.register_module()
class SimilarityKD(nn.Module):
    """KD on the rotated-vs-upright similarity matrices, ranked by error.

    Each row of the teacher's and the student's
    :func:`~mmsamkd.models.utils.rotation_similarity` is a distribution
    over the N upright views (softmax at ``tau``); rows are kept by the
    teacher's rank of the view's own image (SSKD's ``ratio_ss``).

    Args:
        tau (float): Temperature. Defaults to 0.5.
        loss_weight (float): Defaults to 10.
        rotations (Sequence[int]): The models' rotations, 0 first.
        wrong_keep_ratio (float): Defaults to 0.75.

    Forward: ``feats_S`` and ``feats_T``, the ``(N * K, D)`` projections
    of the student and the teacher (widths may differ).
    """

    def __init__(
        self,
        tau: float = 0.5,
        loss_weight: float = 10.0,
        rotations: Sequence[int] = (0, 1, 2, 3),
        wrong_keep_ratio: float = 0.75,
    ) -> None:
        super().__init__()
        _check_ratio(wrong_keep_ratio)
        self.tau = tau
        self.loss_weight = loss_weight
        self.num_rotations = len(check_rotations(rotations))
        self.wrong_keep_ratio = wrong_keep_ratio

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        if feats_S.shape[0] != feats_T.shape[0]:
            raise ConfigError(
                f'{feats_S.shape[0]} student and {feats_T.shape[0]} '
                'teacher projections: both must see the same views'
            )
        k = self.num_rotations
        sim_S = rotation_similarity(feats_S, k)
        sim_T = rotation_similarity(feats_T.detach(), k)
        targets = torch.arange(sim_T.shape[1], device=sim_T.device)
        rows = error_ranked_rows(
            sim_T, targets.repeat_interleave(k - 1), self.wrong_keep_ratio
        )
        return self.loss_weight * _selected_kl(sim_S, sim_T, rows, self.tau)
