"""Common shape of the CIFAR KD zoo: a stem, stages, then a post block."""

from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import Tensor

from ...errors import ConfigError


def conv_bn(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    groups: int = 1,
    relu: bool = True,
) -> nn.Sequential:
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


def init_conv_bn(module: nn.Module) -> None:
    """The zoo's initialisation of every conv and BN inside ``module``:
    kaiming-normal (fan_out) convs with zero bias, unit BN."""
    for each in module.modules():
        if isinstance(each, nn.Conv2d):
            nn.init.kaiming_normal_(
                each.weight, mode='fan_out', nonlinearity='relu'
            )
            if each.bias is not None:
                nn.init.zeros_(each.bias)
        elif isinstance(each, nn.BatchNorm2d):
            nn.init.ones_(each.weight)
            nn.init.zeros_(each.bias)


class BranchRule:
    """HSAKD's rule for the layers of an auxiliary branch, shared by the
    zoo and the views of MMPretrain backbones (``stage_view.py``): the
    branch on stage ``tap`` copies the stages after it and the post block;
    the deepest branch first repeats stage ``tap`` with stride 1 (Yang et
    al., "Hierarchical Self-supervised Augmented Knowledge Distillation",
    IJCAI 2021).

    Needs ``stage_channels``, ``num_stages``, ``build_stage`` and
    ``build_post``.
    """

    def make_branch(
        self, tap: int, extra_stage: bool
    ) -> Tuple[nn.Sequential, int]:
        """Fresh layers mapping the output of stage ``tap`` to a feature
        map: copies of the stages after ``tap`` and of the post block,
        preceded, when ``extra_stage``, by a stride-1 copy of stage
        ``tap`` itself. Returns ``(nn.Sequential, out_channels)``."""
        layers = []
        channels = self.stage_channels[tap]
        if extra_stage:
            stage, channels = self.build_stage(tap, channels, stride=1)
            layers.append(stage)
        for index in range(tap + 1, self.num_stages):
            stage, channels = self.build_stage(index, channels)
            layers.append(stage)
        post, channels = self.build_post(channels)
        layers.append(post)
        return nn.Sequential(*layers), channels


class StagedBackbone(BranchRule, BaseBackbone):
    """A backbone made of ``stem``, ``stages`` (a ModuleList) and ``post``.

    ``post`` is what the published network applies after its last block
    and before pooling (a final BN-ReLU or 1x1 conv; often nothing). The
    KD papers tap the stage outputs *before* it, so recorders address
    ``backbone.stages.<i>``, while ``forward`` returns, for the stages in
    ``out_indices`` (MMPretrain convention), each stage's output and, for
    the last stage, ``post`` of it: the classifier feature.

    Subclasses define :meth:`build_stem`, :meth:`build_stage` and
    :meth:`build_post` and call :meth:`_build`; the same methods give the
    fresh stage copies of auxiliary branches (:meth:`BranchRule.make_branch`).

    Args:
        out_indices (Sequence[int]): Stages whose outputs are returned;
            negative values count from the end. Defaults to ``(-1, )``.
        frozen_stages (int): Stages kept frozen and in eval mode, counting
            the stem as 0 (and ``post`` as ``num_stages + 1``); -1 freezes
            nothing, ``num_stages`` everything. Defaults to -1.
        init_cfg (dict, optional): MMEngine init config. Defaults to None,
            which means the zoo's own initialisation (kaiming fan-out for
            convolutions, unit BN).
    """

    def __init__(
        self,
        out_indices: Sequence[int] = (-1,),
        frozen_stages: int = -1,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self._out_indices_arg = tuple(out_indices)
        self.frozen_stages = frozen_stages

    # -- to be defined by each architecture ------------------------------
    num_stages = 0

    def build_stem(self) -> Tuple[nn.Module, int]:
        raise NotImplementedError

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        """A fresh stage ``index`` taking ``in_channels``.

        ``stride=None`` keeps the network's own stride for that stage; 1
        builds the stride-1 variant that HSAKD-style branches append.
        Returns ``(module, out_channels)``.
        """
        raise NotImplementedError

    def build_post(self, in_channels: int) -> Tuple[nn.Module, int]:
        """A fresh post block; returns ``(module, out_channels)``."""
        return nn.Identity(), in_channels

    @property
    def default_branch_taps(self) -> Tuple[int, ...]:
        """Stages that carry an auxiliary branch by default (HSAKD)."""
        return tuple(range(self.num_stages))

    # How HSAKD's published code initialises this network's auxiliary
    # branches (see SelfSupervisedBranch): most reset convs to kaiming
    # fan_out and zero the fc bias; None keeps PyTorch's defaults, as the
    # published VGG and ShuffleNetV2 branches do.
    branch_init = dict(fc_std=None, fc_zero_bias=True)

    # ---------------------------------------------------------------------
    def _build(self):
        self.stem, channels = self.build_stem()
        stages, stage_channels = [], []
        for index in range(self.num_stages):
            stage, channels = self.build_stage(index, channels)
            stages.append(stage)
            stage_channels.append(channels)
        self.stages = nn.ModuleList(stages)
        self.stage_channels = tuple(stage_channels)
        self.post, self.out_channels = self.build_post(channels)
        self.out_indices = self._resolve_out_indices()
        self._freeze_stages()

    def _resolve_out_indices(self):
        indices = []
        for index in self._out_indices_arg:
            resolved = index + self.num_stages if index < 0 else index
            if not 0 <= resolved < self.num_stages:
                raise ConfigError(
                    f'{type(self).__name__} has {self.num_stages} stages; '
                    f'out_indices {self._out_indices_arg} asks for stage '
                    f'{index}'
                )
            indices.append(resolved)
        return tuple(indices)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        outs = []
        last = self.num_stages - 1
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(self.post(x) if index == last else x)
        return tuple(outs)

    def _freeze_stages(self):
        # post follows the last stage: frozen_stages=num_stages freezes all
        modules = [self.stem, *self.stages, self.post]
        for module in modules[: self.frozen_stages + 1]:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'StagedBackbone':
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is not None:
            return
        init_conv_bn(self)
