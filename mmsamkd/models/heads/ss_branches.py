"""Auxiliary branches for the self-supervised augmented task (HSAKD)."""

from typing import Optional, Sequence

import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from ...errors import ConfigError
from ..backbones.base import init_conv_bn


class SelfSupervisedBranch(BaseModule):
    """Backbone-like layers, global pooling and a linear joint classifier.

    ``fc`` gives the branch's joint logits (``K * num_classes``); its input
    is the pooled branch feature, which recorders can take with
    ``ModuleInputs`` on ``ss_branches.<i>.fc``.

    Args:
        layers (nn.Module): The copied stages.
        channels (int): Channels of their output.
        num_joint_classes (int): ``K * num_classes``.
        init (dict, optional): How the published code initialises this
            branch (``branch_init`` of its backbone): convolutions
            kaiming-normal (fan_out, zero bias), BN weight 1 and bias 0,
            ``fc`` weight ``N(0, fc_std)`` when ``fc_std`` is set and its
            bias 0 when ``fc_zero_bias``. None keeps PyTorch's defaults.
    """

    def __init__(
        self,
        layers: nn.Module,
        channels: int,
        num_joint_classes: int,
        init: Optional[dict] = None,
    ) -> None:
        super().__init__()
        self.layers = layers
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_joint_classes)
        self.branch_init = init

    def init_weights(self) -> None:
        super().init_weights()
        if self.branch_init is None:
            return
        init_conv_bn(self.layers)
        if self.branch_init.get('fc_std') is not None:
            nn.init.normal_(self.fc.weight, 0, self.branch_init['fc_std'])
        if self.branch_init.get('fc_zero_bias'):
            nn.init.zeros_(self.fc.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.pool(self.layers(x)).flatten(1))


def build_ss_branches(
    backbone: nn.Module, taps: Sequence[int], num_joint_classes: int
) -> ModuleList:
    """One :class:`SelfSupervisedBranch` per tapped stage of ``backbone``.

    Yang et al., "Hierarchical Self-supervised Augmented Knowledge
    Distillation", IJCAI 2021: the branch on a stage is a fresh copy of
    the stages after it (plus the backbone's post block), and the deepest
    branch first repeats its own stage with stride 1. Each branch is
    initialised as the published branches of that network are (when the
    model's ``init_weights`` runs, as MMEngine's runner does).

    Args:
        backbone (StagedBackbone or StageView): The network the branches
            attach to, cut into stages (:func:`stage_view`).
        taps (Sequence[int]): Stage indices, shallow to deep.
        num_joint_classes (int): ``num_rotations * num_classes``.

    Returns:
        ModuleList: The branches, in the order of ``taps``.
    """
    taps = tuple(taps)
    if list(taps) != sorted(set(taps)) or not taps:
        raise ConfigError(
            f'branch taps must be increasing stage indices, got {taps}'
        )
    if taps[-1] >= backbone.num_stages or taps[0] < 0:
        raise ConfigError(
            f'{type(backbone).__name__} has {backbone.num_stages} stages; '
            f'branch taps {taps} are out of range'
        )
    branches = []
    for tap in taps:
        layers, channels = backbone.make_branch(
            tap, extra_stage=tap == taps[-1]
        )
        branches.append(
            SelfSupervisedBranch(
                layers, channels, num_joint_classes, backbone.branch_init
            )
        )
    # MMEngine's ModuleList, so that the model's init_weights reaches them
    return ModuleList(branches)
