"""Auxiliary branches for the self-supervised augmented task (HSAKD)."""

import torch.nn as nn


class SelfSupervisedBranch(nn.Module):
    """Backbone-like layers, global pooling and a linear joint classifier.

    ``fc`` gives the branch's joint logits (``K * num_classes``); its input
    is the pooled branch feature, which recorders can take with
    ``ModuleInputs`` on ``ss_branches.<i>.fc``.
    """

    def __init__(self, layers, channels, num_joint_classes):
        super().__init__()
        self.layers = layers
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_joint_classes)

    def forward(self, x):
        return self.fc(self.pool(self.layers(x)).flatten(1))


def build_ss_branches(backbone, taps, num_joint_classes):
    """One :class:`SelfSupervisedBranch` per tapped stage of ``backbone``.

    Yang et al., "Hierarchical Self-supervised Augmented Knowledge
    Distillation", IJCAI 2021: the branch on a stage is a fresh copy of
    the stages after it (plus the backbone's post block), and the deepest
    branch first repeats its own stage with stride 1.

    Args:
        backbone (StagedBackbone): The network the branches attach to.
        taps (Sequence[int]): Stage indices, shallow to deep.
        num_joint_classes (int): ``num_rotations * num_classes``.

    Returns:
        nn.ModuleList: The branches, in the order of ``taps``.
    """
    taps = tuple(taps)
    if list(taps) != sorted(set(taps)) or not taps:
        raise ValueError(
            f'branch taps must be increasing stage indices, got {taps}'
        )
    if taps[-1] >= backbone.num_stages or taps[0] < 0:
        raise ValueError(
            f'{type(backbone).__name__} has {backbone.num_stages} stages; '
            f'branch taps {taps} are out of range'
        )
    branches = []
    for tap in taps:
        layers, channels = backbone.make_branch(
            tap, extra_stage=tap == taps[-1]
        )
        branches.append(
            SelfSupervisedBranch(layers, channels, num_joint_classes)
        )
    return nn.ModuleList(branches)
