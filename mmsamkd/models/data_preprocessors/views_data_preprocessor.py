"""ClsDataPreprocessor for samples made of several views."""

import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ViewsDataPreprocessor(ClsDataPreprocessor):
    """Stack per-sample views image-major: N samples of K views -> N * K.

    For pipelines ending in :class:`~mmsamkd.datasets.RotatedViews`, whose
    samples are lists of K images: the batch becomes the ``(N * K, C, H,
    W)`` tensor in which view ``i * K + k`` is view k of sample i (the
    order of :func:`~mmsamkd.models.utils.rotate_views`), normalised as
    usual, while ``data_samples`` keep one entry per sample. Single-image
    batches (the test pipeline) pass through as in ``ClsDataPreprocessor``.
    """

    def forward(self, data, training=False):
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)) and inputs:
            if isinstance(inputs[0], (list, tuple)):  # pseudo_collate
                views = [view for sample in inputs for view in sample]
                data = dict(data, inputs=views)
            elif isinstance(inputs[0], torch.Tensor) and inputs[0].dim() == 4:
                # default_collate: one (N, C, H, W) batch per view
                data = dict(data, inputs=torch.stack(inputs, 1).flatten(0, 1))
        return super().forward(data, training)
