"""Every network of a model takes as many image channels as its data has.

A student or teacher copied from a CIFAR config (3 channels) into a
Fashion-MNIST one (1 channel) stopped at its first batch in PyTorch's
convolution error, a traceback from inside torch. The data preprocessor's
``mean`` has one value per channel of the data; the first convolution of
each backbone says how many channels that network takes.
"""

from typing import Optional

import torch
import torch.nn as nn


def input_channels_problem(model: nn.Module) -> Optional[str]:
    """Why a backbone of ``model`` cannot take the images its data
    preprocessor normalises, or None (also where the preprocessor does
    not normalise, which leaves the channel count unknown)."""
    mean = getattr(getattr(model, 'data_preprocessor', None), 'mean', None)
    if not isinstance(mean, torch.Tensor) or mean.dim() != 3:
        return None
    channels = mean.shape[0]
    for name, module in model.named_modules():
        backbone = getattr(module, 'backbone', None)
        if not isinstance(backbone, nn.Module):
            continue
        first = next(
            (m for m in backbone.modules() if isinstance(m, nn.Conv2d)), None
        )
        if first is None or first.in_channels == channels:
            continue
        where = f'model.{name}.backbone' if name else 'model.backbone'
        return (
            f'{where} takes {first.in_channels}-channel images, but the '
            f'data has {channels} (its data_preprocessor normalises '
            f'{channels} channel{"s" if channels > 1 else ""}): the first '
            f'batch would stop in its convolution. Set '
            f'{where}.in_channels={channels} (a network copied from a '
            'config of other data).'
        )
    return None
