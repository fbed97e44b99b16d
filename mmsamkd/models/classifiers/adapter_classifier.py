"""A classifier with LightSKD's shallow-feature adapter (DRG)."""

from typing import Dict, List, Optional, Tuple, Union

import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ...errors import ConfigError
from ..backbones import StagedBackbone
from ..heads import ShallowAdapter
from ..utils import image_classes


@MODELS.register_module()
class AdapterClassifier(ImageClassifier):
    """An image classifier whose intermediate stage feeds an adapter.

    Xu et al., "Lightweight Self-Knowledge Distillation with Multi-source
    Information Fusion", 2023: the :class:`ShallowAdapter` on stage
    ``adapter_stage`` makes a prediction of its own, trained by CE with
    the labels (its gradient also reaches the stages below it). In DRG
    that prediction, detached, supervises the final output by KL: the
    distiller records ``head.fc`` and ``adapter.fc`` of this one model
    (MMRazor's ``SelfDistill``). Evaluation and prediction use the
    classifier alone; the deployed model has no adapter.

    Args:
        backbone (dict): A :class:`StagedBackbone` config (the CIFAR zoo);
            its ``out_indices`` are set here.
        neck (dict): Neck config, usually ``GlobalAveragePooling``.
        head (dict): ``LinearClsHead`` config; its ``num_classes`` is the
            adapter's too.
        adapter_stage (int): The tapped stage. Defaults to 1, the second
            stage, as the published adapter on ResNet-18.
        adapter_loss_weight (float): Weight of the adapter's CE.
            Defaults to 1.
        **kwargs: Other :class:`ImageClassifier` arguments.
    """

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        head: Optional[dict] = None,
        adapter_stage: int = 1,
        adapter_loss_weight: float = 1.0,
        **kwargs,
    ) -> None:
        # the backbone returns the tapped stage and the classifier feature
        backbone = dict(backbone, out_indices=(adapter_stage, -1))
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        if not isinstance(self.backbone, StagedBackbone):
            raise ConfigError(
                'AdapterClassifier needs a backbone of the CIFAR KD zoo (a '
                f'StagedBackbone), got {type(self.backbone).__name__}'
            )
        widths = self.backbone.stage_channels
        if not 0 <= adapter_stage < len(widths) - 1:
            raise ConfigError(
                f'adapter_stage must name a stage before the last of the '
                f'{len(widths)} stages of {type(self.backbone).__name__}, '
                f'got {adapter_stage}'
            )
        self.adapter_stage = adapter_stage
        self.adapter_loss_weight = adapter_loss_weight
        self.adapter = ShallowAdapter(
            widths[adapter_stage],
            widths[adapter_stage + 1 :],
            self.head.num_classes,
        )

    def extract_feat(
        self, inputs: Tensor, stage: str = 'neck'
    ) -> Union[Tensor, Tuple[Tensor, ...]]:
        """The classifier feature, as :class:`ImageClassifier` gives it."""
        feats = self.backbone(inputs)[-1:]
        if stage == 'backbone':
            return feats
        if self.with_neck:
            feats = self.neck(feats)
        if stage == 'neck':
            return feats
        return self.head.pre_logits(feats)

    def loss(
        self, inputs: Tensor, data_samples: List[DataSample]
    ) -> Dict[str, Tensor]:
        """The classifier's CE and the adapter's CE."""
        tapped, final = self.backbone(inputs)
        feats = self.neck((final,)) if self.with_neck else (final,)
        losses = self.head.loss(feats, data_samples)
        # the adapter runs even at weight 0: DRG's KL records its output
        adapter_logits = self.adapter(tapped)
        if self.adapter_loss_weight:
            labels = image_classes(
                data_samples,
                "the adapter's CE (adapter_loss_weight)",
                tapped.device,
            )
            losses['loss_adapter'] = self.adapter_loss_weight * (
                F.cross_entropy(adapter_logits, labels)
            )
        return losses
