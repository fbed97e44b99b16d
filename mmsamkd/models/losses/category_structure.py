"""Category-structure distillation (CSKD), with an optional memory bank.

Chen et al., "Improving Knowledge Distillation via Category Structure",
ECCV 2020 (code: xeanzheng/CSKD). The student matches the teacher's
category structure: each sample's offset from its class centroid
(intra-class) and the cosine similarities between class centroids
(inter-class), on a feature and on the logits.
"""

from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from ..utils import FeatureBank, image_classes


def class_centroids(
    features: Tensor,
    labels: Tensor,
    num_classes: int,
    bank: Optional[Tuple[Tensor, Tensor]] = None,
) -> Tuple[Tensor, Tensor]:
    """Mean feature of each class and which classes have one.

    Args:
        features (Tensor): ``(N, D)`` batch features.
        labels (Tensor): ``(N,)``.
        num_classes (int): K.
        bank (tuple, optional): ``(features, labels)`` of stored features,
            detached; they count in the means, but gradients flow only
            through ``features``.

    Returns:
        tuple: ``(K, D)`` centroids (zero where a class is absent) and a
        ``(K,)`` bool mask of the classes present in batch or bank.
    """
    sums = features.new_zeros(num_classes, features.shape[1])
    counts = features.new_zeros(num_classes)
    sums = sums.index_add(0, labels, features)
    counts = counts.index_add(
        0, labels, torch.ones_like(labels, dtype=counts.dtype)
    )
    if bank is not None and len(bank[1]):
        stored, stored_labels = bank
        sums = sums.index_add(0, stored_labels, stored.to(sums.dtype))
        counts = counts.index_add(
            0,
            stored_labels,
            torch.ones_like(stored_labels, dtype=counts.dtype),
        )
    present = counts > 0
    return sums / counts.clamp_min(1)[:, None], present


def cosine_matrix(vectors: Tensor) -> Tensor:
    """``(M, M)`` cosine similarities of the rows of ``vectors``."""
    unit = F.normalize(vectors, dim=1, eps=1e-12)
    return unit @ unit.t()


@MODELS.register_module()
class CategoryStructureLoss(nn.Module):
    """CSKD's category-structure loss, as its official code computes it.

    With ``f`` the (flattened) features, ``l`` the logits, ``c[y]`` the
    centroid of a sample's class and ``C`` the cosine matrix of the
    centroids of the classes present (teacher side always detached)::

        intra = mse(f_T - c_T[y], f_S - c_S[y].detach()) / D
              + mse(l_T - c_T[y], l_S - c_S[y].detach()) / K
        center = mse(l_S, c_S[y].detach())
        inter = mse(C_T(f), C_S(f)) / P + mse(C_T(l), C_S(l)) / P
        loss = intra_weight * intra + center_weight * center
             + inter_weight * inter + logit_mse_weight * mse(l_S, l_T)

    ``mse`` is the element mean, ``D`` the feature size (C*H*W for maps),
    ``K`` the classes, ``P`` the classes present; the official weights are
    0.002, 0.1, 0.04 and 0.1 * 1e-5 (its small logit MSE). With
    ``filter_correct`` the feature centroids of the intra term count only
    the samples the model itself classifies correctly; a sample of a class
    with none keeps a zero residual (the official ``cluster_filter``).
    Logit centroids always use the whole batch, as the official code ends
    up doing.

    ICAKD's variant keeps a memory bank of recent features
    (``bank_size`` > 0): the feature centroids then average the bank and
    the batch, gradients flowing through the batch only; the batch is
    enqueued after the loss is computed.

    Args:
        num_classes (int): K.
        intra_weight (float): Defaults to 0.002.
        center_weight (float): Defaults to 0.1.
        inter_weight (float): Defaults to 0.04.
        logit_mse_weight (float): Defaults to 1e-6.
        filter_correct (bool): Defaults to True.
        bank_size (int): Features kept per model; 0 (CSKD) for none.
        bank_channels (int, optional): Feature width, needed with a bank.

    Forward: ``feats_S``, ``feats_T`` (``(N, ...)``, the same size: project
    the student with a connector), ``preds_S``, ``preds_T`` (logits) and
    ``data_samples`` (their ``gt_label``).
    """

    def __init__(
        self,
        num_classes: int,
        intra_weight: float = 0.002,
        center_weight: float = 0.1,
        inter_weight: float = 0.04,
        logit_mse_weight: float = 1e-6,
        filter_correct: bool = True,
        bank_size: int = 0,
        bank_channels: Optional[int] = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.intra_weight = intra_weight
        self.center_weight = center_weight
        self.inter_weight = inter_weight
        self.logit_mse_weight = logit_mse_weight
        self.filter_correct = filter_correct
        self.banks = None
        if bank_size and filter_correct:
            raise ConfigError(
                'filter_correct selects batch samples by their prediction, '
                'which the bank does not keep: use one or the other'
            )
        if bank_size:
            if not bank_channels:
                raise ConfigError('a memory bank needs bank_channels')
            self.banks = nn.ModuleDict(
                dict(
                    student=FeatureBank(bank_size, bank_channels),
                    teacher=FeatureBank(bank_size, bank_channels),
                )
            )

    def forward(
        self,
        feats_S: Tensor,
        feats_T: Tensor,
        preds_S: Tensor,
        preds_T: Tensor,
        data_samples: Sequence[DataSample],
    ) -> Tensor:
        labels = image_classes(
            data_samples, type(self).__name__, preds_S.device
        )
        return self.structure_loss(
            feats_S.flatten(1), feats_T.flatten(1), preds_S, preds_T, labels
        )

    def _bank(self, role):
        return self.banks[role].stored() if self.banks is not None else None

    def structure_loss(
        self,
        f_S: Tensor,
        f_T: Tensor,
        l_S: Tensor,
        l_T: Tensor,
        labels: Tensor,
    ) -> Tensor:
        f_T, l_T = f_T.detach(), l_T.detach()
        k = self.num_classes
        # class centroids of the features (over bank and batch)
        fc_S, f_present = class_centroids(
            f_S, labels, k, self._bank('student')
        )
        fc_T, _ = class_centroids(f_T, labels, k, self._bank('teacher'))
        # intra-class residuals of the features
        if self.filter_correct:
            c_S = self._correct_centroids(f_S, l_S, labels)
            c_T = self._correct_centroids(f_T, l_T, labels)
        else:
            c_S, c_T = fc_S[labels], fc_T[labels]
        intra = F.mse_loss(f_S - c_S.detach(), f_T - c_T) / f_S.shape[1]
        # intra-class residuals of the logits, and the pull to the centroid
        lc_S, present = class_centroids(l_S, labels, k)
        lc_T, _ = class_centroids(l_T, labels, k)
        intra = (
            intra
            + F.mse_loss(l_S - lc_S[labels].detach(), l_T - lc_T[labels])
            / l_S.shape[1]
        )
        center = F.mse_loss(l_S, lc_S[labels].detach())
        # inter-class relations: cosine matrices of the centroids present
        inter = F.mse_loss(
            cosine_matrix(fc_S[f_present]), cosine_matrix(fc_T[f_present])
        ) / int(f_present.sum())
        inter = inter + F.mse_loss(
            cosine_matrix(lc_S[present]), cosine_matrix(lc_T[present])
        ) / int(present.sum())
        loss = (
            self.intra_weight * intra
            + self.center_weight * center
            + self.inter_weight * inter
            + self.logit_mse_weight * F.mse_loss(l_S, l_T)
        )
        if self.banks is not None:
            self.banks['student'].enqueue(f_S, labels)
            self.banks['teacher'].enqueue(f_T, labels)
        return loss

    def _correct_centroids(self, features, logits, labels):
        """Each sample's class centroid over the correctly classified
        samples; the sample itself where its class has none."""
        correct = logits.argmax(1) == labels
        centroids, present = class_centroids(
            features[correct], labels[correct], self.num_classes
        )
        return torch.where(
            present[labels][:, None], centroids[labels], features
        )
