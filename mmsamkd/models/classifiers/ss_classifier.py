"""A classifier trained with the self-supervised augmented task (HSAKD)."""

from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ...errors import ConfigError
from ..backbones.stage_view import stage_view
from ..heads import build_ss_branches
from ..utils import (
    check_rotations,
    image_classes,
    joint_labels,
    rotate_views,
    upright,
)
from .frozen_features import FrozenFeaturesMixin

BRANCH_MODES = ('joint', 'frozen')


@MODELS.register_module()
class SelfSupervisedClassifier(FrozenFeaturesMixin, ImageClassifier):
    """An image classifier with auxiliary self-supervised branches.

    Yang et al., "Hierarchical Self-supervised Augmented Knowledge
    Distillation", IJCAI 2021 (https://www.ijcai.org/proceedings/2021/0168).
    In training every image becomes ``K`` rotated views (image-major). The
    backbone classifier is trained by CE on the upright views; each branch,
    on a stage of the backbone, by CE on the joint labels ``K * y + k`` of
    all views. Evaluation and prediction use the upright input and the
    backbone classifier only, as for a plain :class:`ImageClassifier`.

    As a distillation student (``branch_loss_weight=0``) the branches get no
    CE: they learn from the teacher's branches through the distiller, which
    records ``head.fc`` and ``ss_branches.<i>.fc``.

    Args:
        backbone (dict): A backbone of the CIFAR zoo or a convolutional
            MMPretrain backbone that :func:`stage_view` can cut into stages
            (ResNet and its variants, RegNet, MobileNetV2, ShuffleNetV2).
        neck (dict): Neck config, usually ``GlobalAveragePooling``.
        head (dict): ``LinearClsHead`` config; ``num_classes`` sets the
            joint classes of the branches.
        branch_taps (Sequence[int], optional): Stages carrying a branch.
            Defaults to the backbone's ``default_branch_taps``.
        rotations (Sequence[int]): Quarter turns of the views, 0 first.
            Defaults to ``(0, 1, 2, 3)``.
        branch_mode (str): ``'joint'`` trains backbone and branches
            together; ``'frozen'`` keeps backbone, neck and head fixed (and
            in eval mode) and trains the branches on detached features, as
            HSAKD does on a pre-trained teacher. Defaults to ``'joint'``.
        branch_loss_weight (float): Weight of each branch's joint CE; 0
            disables it. Defaults to 1.
        **kwargs: Other :class:`ImageClassifier` arguments.
    """

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        head: Optional[dict] = None,
        branch_taps: Optional[Sequence[int]] = None,
        rotations: Sequence[int] = (0, 1, 2, 3),
        branch_mode: str = 'joint',
        branch_loss_weight: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        view = stage_view(self.backbone)  # refuses a backbone without stages
        if branch_mode not in BRANCH_MODES:
            raise ConfigError(
                f'branch_mode must be one of {BRANCH_MODES}, got '
                f'{branch_mode!r}'
            )
        self.rotations = check_rotations(rotations)
        self.branch_mode = branch_mode
        self.branch_loss_weight = branch_loss_weight
        if branch_taps is None:
            branch_taps = view.default_branch_taps
        self.branch_taps = tuple(branch_taps)
        self.ss_branches = build_ss_branches(
            view,
            self.branch_taps,
            self.head.num_classes * len(self.rotations),
        )
        self.frozen = branch_mode == 'frozen'
        if self.frozen:
            self.freeze_features()

    @property
    def num_rotations(self) -> int:
        return len(self.rotations)

    def forward_views(self, views: Tensor) -> Tuple[Tensor, List[Tensor]]:
        """Backbone logits and branch joint logits of (rotated) views.

        Args:
            views (Tensor): ``(M, C, H, W)`` inputs, e.g. from
                :func:`rotate_views`.

        Returns:
            tuple: ``logits`` ``(M, num_classes)`` and a list with each
            branch's joint logits ``(M, K * num_classes)``.
        """
        backbone = stage_view(self.backbone)
        x = backbone.stem(views)
        taps = []
        for index, stage in enumerate(backbone.stages):
            x = stage(x)
            if index in self.branch_taps:
                taps.append(x.detach() if self.frozen else x)
        feats = (backbone.post(x),)
        if self.with_neck:
            feats = self.neck(feats)
        logits = self.head(feats)
        branch_logits = [
            branch(tap) for branch, tap in zip(self.ss_branches, taps)
        ]
        return logits, branch_logits

    def loss(
        self, inputs: Tensor, data_samples: List[DataSample]
    ) -> Dict[str, Tensor]:
        """CE on upright views plus joint-label CE of every branch."""
        views = rotate_views(inputs, self.rotations)
        logits, branch_logits = self.forward_views(views)
        losses = {}
        cls_losses = self.head._get_loss(
            upright(logits, self.num_rotations), data_samples
        )
        losses['loss_cls'] = cls_losses.pop('loss')
        losses.update(cls_losses)  # accuracy, when the head computes it
        if self.branch_loss_weight:
            labels = image_classes(
                data_samples,
                "the branches' joint-label CE (branch_loss_weight)",
            )
            labels = joint_labels(labels, self.num_rotations)
            for index, scores in enumerate(branch_logits):
                losses[f'loss_branch{index}'] = (
                    F.cross_entropy(scores, labels) * self.branch_loss_weight
                )
        return losses
