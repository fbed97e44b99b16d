"""The class of each image, for the losses that read it."""

from typing import Optional, Sequence

import torch
from mmpretrain.structures import DataSample
from torch import Tensor

from ...errors import ConfigError


def image_classes(
    data_samples: Sequence[DataSample],
    reader: str,
    device: Optional[torch.device] = None,
) -> Tensor:
    """The ``gt_label`` of each sample, as one tensor (on ``device``).

    Refused when the samples carry class scores (``gt_score``): MMPretrain's
    batch augments (Mixup, CutMix) blend each image with another and give
    it the blended scores, but keep one of the two classes as its
    ``gt_label``, so ``reader`` (the part that asks) would learn a class
    the image no longer has. A data preprocessor with ``to_onehot`` sets
    the scores too. Checking for the key costs no device sync. Without
    gradients nothing learns from the classes, so they are given as they
    are: a frozen teacher's loss, computed only so that its recorders
    fill, is thrown away.
    """
    blended = data_samples and 'gt_score' in data_samples[0]
    if blended and torch.is_grad_enabled():
        raise ConfigError(
            f'{reader} reads the class of each image, but the batch holds '
            'class scores (gt_score): batch augments (Mixup, CutMix) blend '
            'images of two classes, or to_onehot is set. Remove '
            'batch_augments and to_onehot from the data preprocessor for '
            'this method.'
        )
    labels = torch.cat([sample.gt_label for sample in data_samples])
    return labels if device is None else labels.to(device)
