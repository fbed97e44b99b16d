"""The stem, stages and post block of a backbone, for auxiliary branches.

HSAKD-style branches (and MS-MGANs' block phases) need a backbone cut
into a stem, a list of stages and a post block, and a way to build fresh
copies of a stage. The CIFAR zoo's :class:`StagedBackbone` is built that
way. MMPretrain's convolutional backbones are not, so a :class:`StageView`
describes one of them without changing it: its modules keep their names
(``backbone.layer3``), so MMPretrain checkpoints and MMRazor recorders
address them as usual, and nothing is registered twice.

:func:`stage_view` finds the view of a backbone through
:data:`STAGE_VIEWS` (backbone class -> view factory, looked up along the
class's MRO, so subclasses such as ``ResNetV1d`` share ``ResNet``'s).
"""

import copy
from typing import Callable, List, Optional, Sequence, Tuple

import torch.nn as nn

from ...errors import ConfigError
from .base import BranchRule, StagedBackbone

# an MMPretrain backbone -> its staged view
ViewFactory = Callable[[nn.Module], 'StageView']
STAGE_VIEWS = {}


def register_stage_view(name: str) -> Callable[[ViewFactory], ViewFactory]:
    """Register a view factory for the MMPretrain backbone class ``name``."""

    def register(factory):
        STAGE_VIEWS[name] = factory
        return factory

    return register


def stage_view(backbone: nn.Module) -> StagedBackbone:
    """The staged view of ``backbone``: the backbone itself for the CIFAR
    zoo, a :class:`StageView` for a supported MMPretrain backbone.

    Raises:
        ConfigError: The backbone cannot carry branches (a transformer,
            say); the message names the supported ones.
    """
    if isinstance(backbone, StagedBackbone):
        return backbone
    for cls in type(backbone).__mro__:
        factory = STAGE_VIEWS.get(cls.__name__)
        if factory is not None and cls.__module__.startswith('mmpretrain'):
            return factory(backbone)
    raise ConfigError(
        f'{type(backbone).__name__} cannot carry auxiliary branches: use '
        "a backbone of the CIFAR KD zoo or one of MMPretrain's "
        f'{", ".join(sorted(STAGE_VIEWS))} and their subclasses '
        '(ResNetV1c, ResNetV1d, ResNeXt, SEResNet, ...)'
    )


def fresh_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with its own, newly drawn parameters."""
    module = copy.deepcopy(module)
    for each in module.modules():
        if hasattr(each, 'reset_parameters'):
            each.reset_parameters()
    return module


class StageView(BranchRule):
    """An MMPretrain backbone seen as stem, stages and post block.

    Args:
        backbone (nn.Module): The backbone; it is not changed.
        stem (list[nn.Module]): Modules run before the first stage.
        stage_names (list[str]): Attribute paths of the stages in the
            backbone (``'layer1'``, ``'layers.0'``), in order.
        stage_channels (list[int]): Output channels of each stage.
        post_name (str, optional): Attribute path of the post block (the
            1x1 conv after the last stage); None for none.
        default_branch_taps (tuple[int], optional): Stages carrying a
            branch by default. Defaults to all.

    Subclasses define :meth:`build_extra_stage`, a stride-1 stage ``index``
    taking its own output channels. Other stages and the post block of a
    branch are fresh copies of the backbone's.
    """

    # HSAKD's common branch initialisation: kaiming convs, zero fc bias
    branch_init = dict(fc_std=None, fc_zero_bias=True)

    def __init__(
        self,
        backbone: nn.Module,
        stem: Sequence[nn.Module],
        stage_names: Sequence[str],
        stage_channels: Sequence[int],
        post_name: Optional[str] = None,
        default_branch_taps: Optional[Sequence[int]] = None,
    ) -> None:
        self.backbone = backbone
        self.stem = nn.Sequential(*stem)
        self.stage_names = list(stage_names)
        self.stages = [backbone.get_submodule(n) for n in stage_names]
        self.stage_channels = tuple(stage_channels)
        self.num_stages = len(self.stages)
        self.post_name = post_name
        self.post = (
            nn.Identity()
            if post_name is None
            else backbone.get_submodule(post_name)
        )
        outputs = backbone.out_indices
        last = max(outputs) if isinstance(outputs, (list, tuple)) else outputs
        wanted = self.num_stages - (post_name is None)
        if last != wanted:
            raise ConfigError(
                f'{type(backbone).__name__} gives the classifier its output '
                f'{last}; branches copy the network up to its end, so the '
                f'classifier must read its last output: set its '
                f'out_indices=({wanted},)'
            )
        if default_branch_taps is None:
            default_branch_taps = range(self.num_stages)
        self.default_branch_taps = tuple(default_branch_taps)

    def stage_sources(self, prefix: str = 'backbone') -> List[str]:
        """Recorder sources of the stage outputs (``backbone.layer3``)."""
        return [f'{prefix}.{name}' for name in self.stage_names]

    def build_stage(
        self, index: int, in_channels: int, stride: Optional[int] = None
    ) -> Tuple[nn.Module, int]:
        if stride is None:
            return fresh_copy(self.stages[index]), self.stage_channels[index]
        if stride != 1 or in_channels != self.stage_channels[index]:
            raise ValueError(
                'a view builds stride-1 repeats of a stage on its own '
                f'output only, not stride {stride} from {in_channels}'
            )
        return self.build_extra_stage(index), in_channels

    def build_extra_stage(self, index: int) -> nn.Module:
        raise NotImplementedError

    def build_post(self, in_channels: int) -> Tuple[nn.Module, int]:
        if self.post_name is None:
            return nn.Identity(), in_channels
        return fresh_copy(self.post), self.post_out_channels

    @property
    def post_out_channels(self) -> int:
        convs = [m for m in self.post.modules() if isinstance(m, nn.Conv2d)]
        return convs[-1].out_channels


def _block_out_channels(stage):
    # the last convolution of a ResNet or MobileNetV2 block (its
    # projection, or its shortcut's, of the same width) gives its output
    convs = [m for m in stage[-1].modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels


class _ResLayerView(StageView):
    """A ResNet-like backbone (``layer1`` ...); stage ``i`` was made by
    ``make_res_layer`` with :meth:`res_layer_args`."""

    def __init__(self, backbone: nn.Module, stem: Sequence[nn.Module]) -> None:
        names = list(backbone.res_layers)
        super().__init__(
            backbone,
            stem,
            names,
            [_block_out_channels(getattr(backbone, n)) for n in names],
        )

    def res_layer_args(self, index: int) -> dict:
        b = self.backbone
        return dict(
            block=b.block,
            expansion=b.expansion,
            dilation=b.dilations[index],
            style=b.style,
            avg_down=b.avg_down,
            with_cp=b.with_cp,
            conv_cfg=b.conv_cfg,
            norm_cfg=b.norm_cfg,
        )

    def build_extra_stage(self, index: int) -> nn.Module:
        channels = self.stage_channels[index]
        return self.backbone.make_res_layer(
            num_blocks=len(self.stages[index]),
            in_channels=channels,
            out_channels=channels,
            stride=1,
            **self.res_layer_args(index),
        )


@register_stage_view('ResNet')
def resnet_view(backbone: nn.Module) -> 'StageView':
    """ResNet, ResNetV1c / V1d (deep stem, average-pool shortcuts) and the
    other subclasses that keep ResNet's ``make_res_layer``: stem, max pool,
    ``layer1`` ... ``layer4``."""
    if backbone.deep_stem:
        stem = [backbone.stem]
    else:
        stem = [backbone.conv1, backbone.norm1, backbone.relu]
    return _ResLayerView(backbone, stem + [backbone.maxpool])


@register_stage_view('ResNet_CIFAR')
def resnet_cifar_view(backbone: nn.Module) -> 'StageView':
    """ResNet_CIFAR: a 3x3 stem without pooling."""
    return _ResLayerView(
        backbone, [backbone.conv1, backbone.norm1, backbone.relu]
    )


class _RegNetView(_ResLayerView):
    def res_layer_args(self, index: int) -> dict:
        from mmpretrain.models.backbones.resnext import Bottleneck

        b = self.backbone
        width = int(round(b.stage_widths[index] * b.bottleneck_ratio[index]))
        return dict(
            block=Bottleneck,
            expansion=1,
            dilation=b.dilations[index],
            style=b.style,
            avg_down=b.avg_down,
            with_cp=b.with_cp,
            conv_cfg=b.conv_cfg,
            norm_cfg=b.norm_cfg,
            base_channels=b.stage_widths[index],
            groups=width // b.group_widths[index],
            width_per_group=b.group_widths[index],
        )


@register_stage_view('RegNet')
def regnet_view(backbone: nn.Module) -> 'StageView':
    """RegNet: a 3x3 stride-2 stem, grouped bottleneck stages."""
    return _RegNetView(
        backbone, [backbone.conv1, backbone.norm1, backbone.relu]
    )


class _MobileNetV2View(StageView):
    def build_extra_stage(self, index: int) -> nn.Module:
        from mmpretrain.models.backbones.mobilenet_v2 import MobileNetV2

        expand_ratio = MobileNetV2.arch_settings[index][0]
        b, kept = self.backbone, self.backbone.in_channels
        b.in_channels = self.stage_channels[index]  # make_layer reads it
        try:
            return b.make_layer(
                self.stage_channels[index],
                len(self.stages[index]),
                1,
                expand_ratio,
            )
        finally:
            b.in_channels = kept


@register_stage_view('MobileNetV2')
def mobilenet_v2_view(backbone: nn.Module) -> 'StageView':
    """MobileNetV2: ``layer1`` ... ``layer7``, then the 1x1 ``conv2``. The
    branches sit where the zoo's CIFAR MobileNetV2 taps its four stages:
    after ``layer2``, ``layer3``, ``layer5`` and ``layer7``."""
    names = [n for n in backbone.layers if n != 'conv2']
    return _MobileNetV2View(
        backbone,
        [backbone.conv1],
        names,
        [_block_out_channels(getattr(backbone, n)) for n in names],
        post_name='conv2',
        default_branch_taps=(1, 2, 4, 6),
    )


class _ShuffleNetV2View(StageView):
    def build_extra_stage(self, index: int) -> nn.Module:
        from mmpretrain.models.backbones.shufflenet_v2 import (
            InvertedResidual,
        )

        b, channels = self.backbone, self.stage_channels[index]
        return nn.Sequential(
            *(
                InvertedResidual(
                    channels,
                    channels,
                    stride=1,
                    conv_cfg=b.conv_cfg,
                    norm_cfg=b.norm_cfg,
                    act_cfg=b.act_cfg,
                    with_cp=b.with_cp,
                )
                for _ in self.stages[index]
            )
        )


def _shufflenet_out_channels(stage):
    # a stride-2 block concatenates its two branches; a stride-1 block
    # keeps its input width
    block = stage[-1]
    return block.branch2[-1].conv.out_channels * 2


@register_stage_view('ShuffleNetV2')
def shufflenet_v2_view(backbone: nn.Module) -> 'StageView':
    """ShuffleNetV2: stem and max pool, ``layers.0`` ... ``layers.2``,
    then the 1x1 conv ``layers.3``."""
    count = len(backbone.layers) - 1
    return _ShuffleNetV2View(
        backbone,
        [backbone.conv1, backbone.maxpool],
        [f'layers.{i}' for i in range(count)],
        [_shufflenet_out_channels(backbone.layers[i]) for i in range(count)],
        post_name=f'layers.{count}',
    )
