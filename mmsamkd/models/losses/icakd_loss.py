"""ICAKD: class-activation knowledge with an incremental category memory.

Zhang and Zhang, "Incremental class-activation knowledge distillation",
J. Guangdong Univ. of Technology, 2023. The paper gives the method in
outline only; configs/icakd/README.md lists every choice made here. Two
losses:

- :class:`CAMLoss`: the ground-truth class activation maps of teacher and
  student, each L2-normalised over positions, matched by squared
  distance;
- :class:`CAMCategoryStructureLoss`: CSKD's category structure
  (:class:`CategoryStructureLoss`) on CAM-weighted pooled features, with
  class centroids over a memory bank of recent batches plus the batch.
"""

from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS
from torch import Tensor

from ..utils import (
    cam_pooled,
    class_activation_map,
    image_classes,
    normalize_cam,
)
from .category_structure import CategoryStructureLoss


def _matched_cams(map_S, weight_S, map_T, weight_T, labels):
    """Both models' ground-truth CAMs, the student's resized to the
    teacher's positions if they differ."""
    cam_T = class_activation_map(map_T.detach(), weight_T.detach(), labels)
    cam_S = class_activation_map(map_S, weight_S, labels)
    if cam_S.shape[-2:] != cam_T.shape[-2:]:
        cam_S = F.interpolate(
            cam_S[:, None],
            cam_T.shape[-2:],
            mode='bilinear',
            align_corners=False,
        )[:, 0]
    return cam_S, cam_T


@MODELS.register_module()
class CAMLoss(nn.Module):
    """Squared L2 distance of the normalised ground-truth CAMs.

    ``loss_weight * mean_i || n(cam_S_i) - n(cam_T_i) ||^2`` with ``n`` the
    spatial L2 normalisation, so each term lies in [0, 2]. The CAM of a
    GAP + linear head equals its Grad-CAM after normalisation
    (:mod:`mmsamkd.models.utils.cam`).

    Args:
        loss_weight (float): Defaults to 1.

    Forward: ``feats_S`` / ``feats_T``, the ``(N, C, H, W)`` maps that the
    models pool; ``weight_S`` / ``weight_T``, their classifier weights;
    ``data_samples``.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self,
        feats_S: Tensor,
        weight_S: Tensor,
        feats_T: Tensor,
        weight_T: Tensor,
        data_samples: Sequence[DataSample],
    ) -> Tensor:
        labels = image_classes(
            data_samples, type(self).__name__, feats_S.device
        )
        cam_S, cam_T = _matched_cams(
            feats_S, weight_S, feats_T, weight_T, labels
        )
        diff = normalize_cam(cam_S) - normalize_cam(cam_T)
        return self.loss_weight * diff.pow(2).flatten(1).sum(1).mean()


@MODELS.register_module()
class CAMCategoryStructureLoss(CategoryStructureLoss):
    """CSKD's category structure on CAM-weighted pooled features.

    Each model's feature of an image is its map averaged over positions
    with the weights of its own ground-truth CAM (:func:`cam_pooled`), so
    the relations look where the class evidence is. The student's feature
    comes from its map projected to the teacher's width (a connector);
    its CAM from its own map and classifier. Centroids average a memory
    bank of recent features and the batch (``bank_size``), with gradients
    through the batch only.

    Args:
        bank_size (int): Features kept per model. Defaults to 1024.
        bank_channels (int): The teacher's feature width.
        **kwargs: Other :class:`CategoryStructureLoss` arguments;
            ``filter_correct`` is off.

    Forward: ``feats_S`` (the student map), ``proj_S`` (the same map
    through the connector), ``weight_S``, ``feats_T``, ``weight_T``,
    ``preds_S``, ``preds_T`` and ``data_samples``.
    """

    def __init__(
        self,
        num_classes: int,
        bank_channels: int,
        bank_size: int = 1024,
        **kwargs,
    ) -> None:
        kwargs.setdefault('filter_correct', False)
        super().__init__(
            num_classes,
            bank_size=bank_size,
            bank_channels=bank_channels,
            **kwargs,
        )

    def forward(
        self,
        feats_S: Tensor,
        proj_S: Tensor,
        weight_S: Tensor,
        feats_T: Tensor,
        weight_T: Tensor,
        preds_S: Tensor,
        preds_T: Tensor,
        data_samples: Sequence[DataSample],
    ) -> Tensor:
        labels = image_classes(
            data_samples, type(self).__name__, feats_S.device
        )
        cam_S, cam_T = _matched_cams(
            feats_S, weight_S, feats_T, weight_T, labels
        )
        if proj_S.shape[-2:] != cam_T.shape[-2:]:
            proj_S = F.interpolate(
                proj_S, cam_T.shape[-2:], mode='bilinear', align_corners=False
            )
        pooled_S = cam_pooled(proj_S, cam_S)
        pooled_T = cam_pooled(feats_T.detach(), cam_T)
        return self.structure_loss(
            pooled_S, pooled_T, preds_S, preds_T, labels
        )
