"""A FIFO memory of recent features and their labels (ICAKD)."""

from typing import Tuple

import torch
import torch.nn as nn
from mmengine import dist
from torch import Tensor

from ...errors import ConfigError


class FeatureBank(nn.Module):
    """The last ``size`` features seen in training, with their labels.

    A ring buffer in registered buffers, so it is saved in checkpoints and
    restored on resume: ``features`` ``(size, channels)``, ``labels``
    ``(size,)`` with -1 for empty slots, and ``pointer``, the next slot to
    write. In a distributed run every rank enqueues the features of all
    ranks (gathered in rank order), so the banks stay identical.

    Args:
        size (int): Number of features kept.
        channels (int): Width of a feature.
    """

    def __init__(self, size: int, channels: int) -> None:
        super().__init__()
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ConfigError(
                f'a FeatureBank needs a whole number size >= 1, got {size!r}'
            )
        self.size = size
        self.register_buffer('features', torch.zeros(size, channels))
        self.register_buffer('labels', torch.full((size,), -1))
        self.register_buffer('pointer', torch.zeros((), dtype=torch.long))

    def check_width(self, features: Tensor) -> None:
        """Refuse ``features`` of another width than the bank keeps
        (before: an indexing ``RuntimeError`` traceback at the first
        enqueue)."""
        width, kept = features.shape[1], self.features.shape[1]
        if width != kept:
            raise ConfigError(
                f'the memory bank keeps {kept}-channel features '
                f'(bank_channels={kept}), but the recorded features have '
                f'{width} channels: set bank_channels={width}'
            )

    def stored(self) -> Tuple[Tensor, Tensor]:
        """``(features, labels)`` of the filled slots (detached)."""
        filled = self.labels >= 0
        return self.features[filled], self.labels[filled]

    @torch.no_grad()
    def enqueue(self, features: Tensor, labels: Tensor) -> None:
        """Write ``features`` ``(N, channels)`` over the oldest slots."""
        self.check_width(features)
        features, labels = features.detach(), labels.detach()
        if dist.get_world_size() > 1:
            features = torch.cat(dist.all_gather(features))
            labels = torch.cat(dist.all_gather(labels))
        features, labels = features[-self.size :], labels[-self.size :]
        offsets = torch.arange(len(labels), device=self.pointer.device)
        slots = (self.pointer + offsets) % self.size
        self.features[slots] = features.to(self.features.dtype)
        self.labels[slots] = labels.to(self.labels.device)
        self.pointer.fill_(int((self.pointer + len(labels)) % self.size))
