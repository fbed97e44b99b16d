"""Common shape of the CIFAR KD zoo backbones: a stem, then stages."""

import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone


def conv_bn(
    in_channels, out_channels, kernel_size, stride=1, groups=1, relu=True
):
    """Conv (no bias) + BN (+ ReLU), the unit most of the zoo is made of."""
    layers = [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class StagedBackbone(BaseBackbone):
    """A backbone that is ``stem`` followed by ``stages`` (a ModuleList).

    ``forward`` returns the outputs of the stages in ``out_indices``
    (MMPretrain convention), so recorders and auxiliary branches can tap
    ``backbone.stages.<i>`` by name. Whatever the published network applies
    after its last block before pooling (BN-ReLU, a 1x1 conv) belongs to the
    last stage, so its output is the classifier feature.

    Subclasses build ``self.stem`` and ``self.stages``, set
    ``self.stage_channels`` (output channels per stage) and call
    :meth:`_finish_init`.

    Args:
        out_indices (Sequence[int]): Stages whose outputs are returned;
            negative values count from the end. Defaults to ``(-1, )``.
        frozen_stages (int): Stages (stem first, as stage 0) kept frozen and
            in eval mode; -1 freezes nothing. Defaults to -1.
        init_cfg (dict, optional): MMEngine init config. Defaults to None,
            which means the zoo's own initialisation (kaiming fan-out for
            convolutions, unit BN).
    """

    def __init__(self, out_indices=(-1,), frozen_stages=-1, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self._out_indices_arg = tuple(out_indices)
        self.frozen_stages = frozen_stages

    def _finish_init(self):
        num = len(self.stages)
        indices = []
        for index in self._out_indices_arg:
            resolved = index + num if index < 0 else index
            if not 0 <= resolved < num:
                raise ValueError(
                    f'{type(self).__name__} has {num} stages; out_indices '
                    f'{self._out_indices_arg} asks for stage {index}'
                )
            indices.append(resolved)
        self.out_indices = tuple(indices)
        self._freeze_stages()

    def forward(self, x):
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self):
        modules = [self.stem] + list(self.stages)
        for module in modules[: self.frozen_stages + 1]:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self):
        super().init_weights()
        if self.init_cfg is not None:
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode='fan_out', nonlinearity='relu'
                )
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
