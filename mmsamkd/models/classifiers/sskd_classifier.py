"""A classifier with SSKD's projection head on rotated views."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ...errors import ConfigError
from ..heads import ProjectionHead
from ..utils import (
    check_rotations,
    rotate_views,
    rotation_similarity,
    similarity_targets,
    upright,
)
from .frozen_features import FrozenFeaturesMixin

SSKD_MODES = ('joint', 'frozen')


@MODELS.register_module()
class SSKDClassifier(FrozenFeaturesMixin, ImageClassifier):
    """An image classifier with a projection head for rotated views.

    Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV 2020
    (https://arxiv.org/abs/2006.07114). In training every image is seen
    as K rotated views (image-major). The classifier is trained by CE on
    the upright views; :class:`ProjectionHead` maps each view's pooled
    feature to a projection, and the contrastive task asks each rotated
    view to pick its own image among the upright views by cosine
    similarity (CE over the rows of :func:`rotation_similarity`).

    The two uses in SSKD:

    - teacher stage 2, ``mode='frozen'``: a trained classifier (from
      ``load_from``) stays fixed, in eval mode, and only the projection
      head learns the contrastive task;
    - the student, ``mode='joint'`` with ``contrastive_weight=0``: CE on
      upright views here, while the distiller records ``head.fc`` and
      ``proj_head`` and adds SSKD's losses.

    Inputs in training are either N images, rotated here (all K views
    share the pipeline's crop), or the ``N * K`` views that the
    :class:`~mmsamkd.datasets.RotatedViews` pipeline and
    :class:`~mmsamkd.models.ViewsDataPreprocessor` make (each view its own
    crop, as SSKD's code does). Evaluation and prediction use the plain
    upright input and the classifier alone.

    Args:
        backbone (dict): Backbone config.
        neck (dict): A pooling neck (``GlobalAveragePooling``): the
            projection head needs a feature vector.
        head (dict): ``LinearClsHead`` config; its ``in_channels`` is the
            projection width.
        rotations (Sequence[int]): Quarter turns of the views, 0 first.
            Defaults to ``(0, 1, 2, 3)``.
        mode (str): ``'joint'`` or ``'frozen'``. Defaults to ``'joint'``.
        contrastive_weight (float): Weight of the contrastive CE; 0
            disables it. Defaults to 1.
        **kwargs: Other :class:`ImageClassifier` arguments.
    """

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        head: Optional[dict] = None,
        rotations: Sequence[int] = (0, 1, 2, 3),
        mode: str = 'joint',
        contrastive_weight: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        if mode not in SSKD_MODES:
            raise ConfigError(
                f'SSKDClassifier mode must be one of {SSKD_MODES}, got '
                f'{mode!r}'
            )
        if not self.with_neck:
            raise ConfigError(
                'SSKDClassifier needs a pooling neck (e.g. '
                "dict(type='GlobalAveragePooling')): its projection head "
                'works on a feature vector'
            )
        self.rotations = check_rotations(rotations)
        if len(self.rotations) < 2:
            raise ConfigError(
                'SSKD compares rotated views with upright ones: give at '
                f'least one rotation besides 0, got {self.rotations}'
            )
        self.mode = mode
        self.contrastive_weight = contrastive_weight
        if mode == 'frozen' and not contrastive_weight:
            raise ConfigError(
                "mode='frozen' trains only the projection head, by the "
                'contrastive loss: contrastive_weight must not be 0'
            )
        self.proj_head = ProjectionHead(self.head.in_channels)
        self.frozen = mode == 'frozen'
        if self.frozen:
            self.freeze_features()

    @property
    def num_rotations(self) -> int:
        return len(self.rotations)

    def training_views(self, inputs: Tensor, num_samples: int) -> Tensor:
        """The ``(N * K, C, H, W)`` views of a training batch."""
        if inputs.shape[0] == num_samples * self.num_rotations:
            return inputs
        if inputs.shape[0] == num_samples:
            return rotate_views(inputs, self.rotations)
        raise ConfigError(
            f'{inputs.shape[0]} training inputs for {num_samples} samples: '
            f'expected the samples themselves or their '
            f'{self.num_rotations} views each (RotatedViews with the '
            "model's rotations)"
        )

    def forward_views(self, views: Tensor) -> Tuple[Tensor, Tensor]:
        """Logits ``(M, num_classes)`` and projections ``(M, D)``."""
        with torch.set_grad_enabled(
            torch.is_grad_enabled() and not self.frozen
        ):
            feats = self.extract_feat(views)
            logits = self.head(feats)
        return logits, self.proj_head(feats[-1])

    def loss(
        self, inputs: Tensor, data_samples: List[DataSample]
    ) -> Dict[str, Tensor]:
        """CE on upright views (not when frozen) and the contrastive CE."""
        views = self.training_views(inputs, len(data_samples))
        logits, projections = self.forward_views(views)
        losses = {}
        if not self.frozen:
            cls_losses = self.head._get_loss(
                upright(logits, self.num_rotations), data_samples
            )
            losses['loss_cls'] = cls_losses.pop('loss')
            losses.update(cls_losses)  # accuracy, when the head computes it
        if self.contrastive_weight:
            similarity = rotation_similarity(projections, self.num_rotations)
            targets = similarity_targets(
                len(data_samples), self.num_rotations, similarity.device
            )
            losses['loss_contrast'] = self.contrastive_weight * (
                F.cross_entropy(similarity, targets)
            )
            # share of rotated views that find their own image (logged)
            losses['contrast_top1'] = (
                (similarity.argmax(1) == targets).float().mean().detach()
            )
        return losses
