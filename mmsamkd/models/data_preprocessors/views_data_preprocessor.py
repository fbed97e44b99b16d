"""ClsDataPreprocessor for samples made of several views."""

import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from ...errors import ConfigError


@MODELS.register_module()
class ViewsDataPreprocessor(ClsDataPreprocessor):
    """Stack per-sample views image-major: N samples of K views -> N * K.

    For pipelines ending in :class:`~mmsamkd.datasets.RotatedViews` and
    ``PackInputs``, whose samples are ``(K, C, H, W)`` tensors: the batch
    becomes the ``(N * K, C, H, W)`` tensor in which row ``i * K + k`` is
    view k of sample i (the order of
    :func:`~mmsamkd.models.utils.rotate_views`), normalised as usual, while
    ``data_samples`` keep one entry per sample. It reads both MMEngine
    collates: ``pseudo_collate`` gives a list of N such tensors,
    ``default_collate`` one ``(N, K, C, H, W)`` tensor. Single-image
    batches (the test pipeline) pass through as in ``ClsDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 5:
            data = dict(data, inputs=inputs.flatten(0, 1))
        elif isinstance(inputs, (list, tuple)) and inputs:
            first = inputs[0]
            if isinstance(first, (list, tuple)):
                # A list of views per sample is transposed by MMEngine's
                # collates, so its order cannot be known here.
                raise ConfigError(
                    'ViewsDataPreprocessor got the views of a batch as '
                    'nested lists, whose order depends on the collate '
                    'function; end the pipeline with RotatedViews and '
                    'PackInputs, which give one (K, C, H, W) tensor per '
                    'sample'
                )
            if isinstance(first, torch.Tensor) and first.dim() == 4:
                samples = data.get('data_samples')
                if samples is not None and len(inputs) != len(samples):
                    raise ConfigError(
                        f'ViewsDataPreprocessor got {len(inputs)} view '
                        f'stacks for {len(samples)} samples: expected one '
                        '(K, C, H, W) tensor per sample (RotatedViews)'
                    )
                views = [view for sample in inputs for view in sample]
                data = dict(data, inputs=views)
        unstacked = data['inputs'] is not inputs  # a batch of views
        if unstacked and training and self.batch_augments is not None:
            # Mixup and CutMix pair image i of the batch with label i
            raise ConfigError(
                'batch_augments mix the images of a batch with one label '
                'each, but this batch holds several views (RotatedViews) '
                'per label. Remove batch_augments from the '
                'data_preprocessor of a views pipeline.'
            )
        return super().forward(data, training)
