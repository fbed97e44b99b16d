"""The CIFAR KD zoo: exact parameter counts and stage shapes.

Expected counts are computed here from the published layer shapes with
plain arithmetic (not by building our modules), for the classifier that
MMPretrain makes of each backbone: GlobalAveragePooling + LinearClsHead,
100 classes, RGB input.
"""

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmsamkd  # noqa: F401

NUM_CLASSES = 100


def conv(cin, cout, k, groups=1, bias=False):
    return cin // groups * cout * k * k + (cout if bias else 0)


def bn(c):
    return 2 * c


def fc(cin):
    return cin * NUM_CLASSES + NUM_CLASSES


def cifar_resnet(depth, stem, widths):
    """He et al. CIFAR ResNet: 3x3 stem, n basic blocks per stage."""
    n = (depth - 2) // 6
    total, cin = conv(3, stem, 3) + bn(stem), stem
    for stage, width in enumerate(widths):
        for block in range(n):
            stride = 2 if stage and not block else 1
            total += (
                2 * bn(width) + conv(cin, width, 3) + conv(width, width, 3)
            )
            if stride != 1 or cin != width:
                total += conv(cin, width, 1) + bn(width)
            cin = width
    return total + fc(widths[-1])


def wide_resnet(depth, k):
    """WRN-d-k: pre-activation blocks, 1x1 shortcut when width changes."""
    n = (depth - 4) // 6
    total, cin = conv(3, 16, 3), 16
    for width in (16 * k, 32 * k, 64 * k):
        for _ in range(n):
            total += bn(cin) + conv(cin, width, 3) + bn(width)
            total += conv(width, width, 3)
            if cin != width:
                total += conv(cin, width, 1)
            cin = width
    return total + bn(64 * k) + fc(64 * k)


def vgg_bn(convs_per_block):
    total, cin = 0, 3
    for width, convs in zip((64, 128, 256, 512, 512), convs_per_block):
        for _ in range(convs):
            total += conv(cin, width, 3, bias=True) + bn(width)
            cin = width
    return total + fc(512)


def resnet50_cifar():
    """Bottleneck ResNet-50 with a 3x3 stride-1 stem and no max-pool."""
    total, cin = conv(3, 64, 3) + bn(64), 64
    for planes, blocks in zip((64, 128, 256, 512), (3, 4, 6, 3)):
        for block in range(blocks):
            out = 4 * planes
            total += conv(cin, planes, 1) + bn(planes)
            total += conv(planes, planes, 3) + bn(planes)
            total += conv(planes, out, 1) + bn(out)
            if block == 0:  # stride or width change
                total += conv(cin, out, 1) + bn(out)
            cin = out
    return total + fc(2048)


def mobilenet_v2_half():
    """Width 0.5, T=6; the expansion conv is kept when t = 1."""
    setting = [
        (1, 16, 1),
        (6, 24, 2),
        (6, 32, 3),
        (6, 64, 4),
        (6, 96, 3),
        (6, 160, 3),
        (6, 320, 1),
    ]
    total, cin = conv(3, 16, 3) + bn(16), 16
    for t, c, n in setting:
        cout = c // 2
        for _ in range(n):
            hidden = cin * t
            total += conv(cin, hidden, 1) + bn(hidden)
            total += conv(hidden, hidden, 3, groups=hidden) + bn(hidden)
            total += conv(hidden, cout, 1) + bn(cout)
            cin = cout
    return total + conv(cin, 1280, 1) + bn(1280) + fc(1280)


def shufflenet_v1_g3():
    g = 3
    total, cin = conv(3, 24, 1) + bn(24), 24
    for out, units in zip((240, 480, 960), (4, 8, 4)):
        for unit in range(units):
            branch = out - cin if unit == 0 else out
            mid = branch // 4
            first_groups = 1 if cin == 24 else g
            total += conv(cin, mid, 1, groups=first_groups) + bn(mid)
            total += conv(mid, mid, 3, groups=mid) + bn(mid)
            total += conv(mid, branch, 1, groups=g) + bn(branch)
            cin = out
    return total + fc(960)


def shufflenet_v2_1x():
    # CRD / HSAKD: conv1 = Conv2d(3, 24, kernel_size=1, bias=False) + BN
    total, cin = conv(3, 24, 1) + bn(24), 24
    for out, units in zip((116, 232, 464), (3, 7, 3)):
        mid = out // 2
        total += conv(cin, cin, 3, groups=cin) + bn(cin)  # down, left
        total += conv(cin, mid, 1) + bn(mid)
        total += conv(cin, mid, 1) + bn(mid)  # down, right
        total += conv(mid, mid, 3, groups=mid) + bn(mid)
        total += conv(mid, mid, 1) + bn(mid)
        for _ in range(units):
            total += 2 * (conv(mid, mid, 1) + bn(mid))
            total += conv(mid, mid, 3, groups=mid) + bn(mid)
        cin = out
    return total + conv(464, 1024, 1) + bn(1024) + fc(1024)


SMALL = (16, 32, 64)
X4 = (64, 128, 256)
# name: (backbone config, expected params, published size in M, and the
# stage shapes (C, H) at 32x32 input)
ZOO = {
    'resnet8': (
        dict(type='CifarResNet', arch='resnet8'),
        cifar_resnet(8, 16, SMALL),
        0.08,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet14': (
        dict(type='CifarResNet', arch='resnet14'),
        cifar_resnet(14, 16, SMALL),
        0.18,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet20': (
        dict(type='CifarResNet', arch='resnet20'),
        cifar_resnet(20, 16, SMALL),
        0.28,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet32': (
        dict(type='CifarResNet', arch='resnet32'),
        cifar_resnet(32, 16, SMALL),
        0.47,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet44': (
        dict(type='CifarResNet', arch='resnet44'),
        cifar_resnet(44, 16, SMALL),
        0.67,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet56': (
        dict(type='CifarResNet', arch='resnet56'),
        cifar_resnet(56, 16, SMALL),
        0.86,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet110': (
        dict(type='CifarResNet', arch='resnet110'),
        cifar_resnet(110, 16, SMALL),
        1.74,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'resnet8x4': (
        dict(type='CifarResNet', arch='resnet8x4'),
        cifar_resnet(8, 32, X4),
        1.23,
        [(64, 32), (128, 16), (256, 8)],
    ),
    'resnet32x4': (
        dict(type='CifarResNet', arch='resnet32x4'),
        cifar_resnet(32, 32, X4),
        7.43,
        [(64, 32), (128, 16), (256, 8)],
    ),
    'wrn_16_2': (
        dict(type='WideResNet', depth=16, widen_factor=2),
        wide_resnet(16, 2),
        0.70,
        [(32, 32), (64, 16), (128, 8)],
    ),
    'wrn_40_1': (
        dict(type='WideResNet', depth=40, widen_factor=1),
        wide_resnet(40, 1),
        0.57,
        [(16, 32), (32, 16), (64, 8)],
    ),
    'wrn_40_2': (
        dict(type='WideResNet', depth=40, widen_factor=2),
        wide_resnet(40, 2),
        2.26,
        [(32, 32), (64, 16), (128, 8)],
    ),
    'vgg8': (
        dict(type='CifarVGG', arch='vgg8'),
        vgg_bn((1, 1, 1, 1, 1)),
        3.97,
        [(64, 32), (128, 16), (256, 8), (512, 4), (512, 4)],
    ),
    'vgg13': (
        dict(type='CifarVGG', arch='vgg13'),
        vgg_bn((2, 2, 2, 2, 2)),
        9.46,
        [(64, 32), (128, 16), (256, 8), (512, 4), (512, 4)],
    ),
    'ResNet50': (
        dict(type='ResNet_CIFAR', depth=50),
        resnet50_cifar(),
        23.71,
        [(256, 32), (512, 16), (1024, 8), (2048, 4)],
    ),
    'MobileNetV2': (
        dict(type='CifarMobileNetV2'),
        mobilenet_v2_half(),
        0.81,
        [(12, 16), (16, 8), (48, 4), (1280, 2)],
    ),
    'ShuffleV1': (
        dict(type='CifarShuffleNetV1'),
        shufflenet_v1_g3(),
        0.95,
        [(240, 16), (480, 8), (960, 4)],
    ),
    'ShuffleV2': (
        dict(type='CifarShuffleNetV2'),
        shufflenet_v2_1x(),
        1.36,
        [(116, 16), (232, 8), (1024, 4)],
    ),
}


def build_classifier(backbone, in_channels=3):
    stages = (
        4
        if backbone['type'] == 'ResNet_CIFAR'
        else len(MODELS.build(backbone).stages)
    )
    backbone = dict(
        backbone, in_channels=in_channels, out_indices=tuple(range(stages))
    )
    with torch.no_grad():
        probe = MODELS.build(backbone)(torch.zeros(1, in_channels, 32, 32))
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=NUM_CLASSES,
                in_channels=probe[-1].shape[1],
            ),
        )
    )


def resnet18_cifar():
    """Basic-block ResNet-18 with a 3x3 stride-1 stem and no max-pool."""
    total, cin = conv(3, 64, 3) + bn(64), 64
    for planes in (64, 128, 256, 512):
        for _ in range(2):
            total += conv(cin, planes, 3) + bn(planes)
            total += conv(planes, planes, 3) + bn(planes)
            if cin != planes:  # the first block of a wider stage
                total += conv(cin, planes, 1) + bn(planes)
            cin = planes
    return total + fc(512)


@pytest.mark.parametrize(
    'arch, expected',
    # 11.22 M: the CIFAR ResNet-18 of CRD and LightSKD (100 classes)
    [('resnet18', resnet18_cifar()), ('resnet50', resnet50_cifar())],
)
def test_imagenet_resnets_with_cifar_stem_have_their_size(arch, expected):
    model = build_classifier(dict(type='CifarResNet', arch=arch))
    assert sum(p.numel() for p in model.parameters()) == expected
    if arch == 'resnet18':
        assert expected == 11_220_132
    # full size in the first stage, halved by each later one
    with torch.no_grad():
        stages = model.backbone(torch.zeros(1, 3, 32, 32))
    expansion = 4 if arch == 'resnet50' else 1
    assert [tuple(x.shape[1:3]) for x in stages] == [
        (64 * expansion, 32),
        (128 * expansion, 16),
        (256 * expansion, 8),
        (512 * expansion, 4),
    ]


def with_random_bn(block):
    """``block`` in eval mode, its BN layers given statistics and affine
    parameters far from the identity (so that each one shows)."""
    for module in block.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return block.eval()


def conv_bn_by_hand(x, unit, stride, padding, groups=1):
    conv, norm = unit[0], unit[1]
    y = F.conv2d(x, conv.weight, None, stride, padding, groups=groups)
    return F.batch_norm(
        y, norm.running_mean, norm.running_var, norm.weight, norm.bias
    )


def test_basic_block_by_hand():
    """relu(BN(conv(relu(BN(conv(x)))))) + BN(conv1x1(x))), the shortcut
    a projection without ReLU (He et al., CVPR 2016, option B)."""
    from mmsamkd.models.backbones.cifar_resnet import BasicBlock

    torch.manual_seed(0)
    block = with_random_bn(BasicBlock(4, 8, stride=2))
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        main = conv_bn_by_hand(
            F.relu(conv_bn_by_hand(x, block.conv1, 2, 1)), block.conv2, 1, 1
        )
        shortcut = conv_bn_by_hand(x, block.shortcut, 2, 0)
        assert (shortcut < 0).any()  # a ReLU there would show
        assert torch.allclose(block(x), F.relu(main + shortcut), atol=1e-5)


def test_inverted_residual_by_hand():
    """x + BN(conv1x1(relu(BN(dwconv3x3(relu(BN(conv1x1(x)))))))): the
    projection is linear (Sandler et al., CVPR 2018)."""
    from mmsamkd.models.backbones.mobilenet_v2 import InvertedResidual

    torch.manual_seed(0)
    block = with_random_bn(InvertedResidual(4, 4, 1, 2))
    expand, depthwise, project = block.conv
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        h = F.relu(conv_bn_by_hand(x, expand, 1, 0))
        h = F.relu(conv_bn_by_hand(h, depthwise, 1, 1, groups=8))
        projected = conv_bn_by_hand(h, project, 1, 0)
        assert (projected < 0).any()  # a ReLU there would show
        assert torch.allclose(block(x), x + projected, atol=1e-5)


@pytest.mark.parametrize(
    'widen, last', [(0.5, 1280), (1.0, 1280), (2.0, 2560)]
)
def test_mobilenet_last_conv_widens_only_above_one(widen, last):
    # as in Sandler et al. (and torchvision): 1280 * max(1, width)
    backbone = MODELS.build(dict(type='CifarMobileNetV2', widen_factor=widen))
    with torch.no_grad():
        out = backbone(torch.zeros(1, 3, 32, 32))[-1]
    assert out.shape[1] == last


@pytest.mark.parametrize(
    'widen, widths',
    # CRD's ShuffleNetv2.py configs (HobbitLong/RepDistiller), stage outputs
    # then the final 1x1 conv; 2x has 224 where the paper has 244
    [
        (0.5, (48, 96, 192, 1024)),
        (1.0, (116, 232, 464, 1024)),
        (1.5, (176, 352, 704, 1024)),
        (2.0, (224, 488, 976, 2048)),
    ],
)
def test_shufflenet_v2_sizes_have_crds_widths(widen, widths):
    backbone = MODELS.build(
        dict(
            type='CifarShuffleNetV2', widen_factor=widen, out_indices=(0, 1, 2)
        )
    )
    with torch.no_grad():
        stages = backbone(torch.zeros(1, 3, 32, 32))
    assert tuple(x.shape[1] for x in stages) == widths[:2] + widths[3:]
    post = [m for m in backbone.modules() if isinstance(m, torch.nn.Conv2d)]
    assert post[-1].in_channels == widths[2]


def test_channel_shuffle_interleaves_the_groups():
    from mmsamkd.models.backbones.shufflenet import channel_shuffle

    x = torch.arange(6.0).view(1, 6, 1, 1)
    shuffled = channel_shuffle(x, 2).flatten().tolist()
    assert shuffled == [0, 3, 1, 4, 2, 5]
    assert channel_shuffle(x, 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]


def test_shufflev2_hand_count_is_the_published_size():
    # CRD's / HSAKD's ShuffleV2 (1x, 100 classes) has 1,355,528 parameters
    assert shufflenet_v2_1x() == 1_355_528


def test_zoo_has_all_eighteen():
    assert len(ZOO) == 18


@pytest.mark.parametrize('name', sorted(ZOO))
def test_exact_parameter_count(name):
    backbone, expected, published_m, _ = ZOO[name]
    model = build_classifier(backbone)
    count = sum(p.numel() for p in model.parameters())
    assert count == expected
    assert abs(count / 1e6 - published_m) < 0.006


@pytest.mark.parametrize('name', sorted(ZOO))
@pytest.mark.parametrize('size', [32, 64])
def test_stage_shapes(name, size):
    backbone, _, _, shapes = ZOO[name]
    model = build_classifier(backbone)
    outs = model.backbone(torch.rand(2, 3, size, size))
    scale = size // 32
    # the last VGG block always sees 4x4 maps (a pool only at 64 pixels)
    expected = [
        (c, 4 if name.startswith('vgg') and i == 4 else h * scale)
        for i, (c, h) in enumerate(shapes)
    ]
    assert [(o.shape[1], o.shape[2]) for o in outs] == expected
    assert all(o.shape[0] == 2 and o.shape[2] == o.shape[3] for o in outs)


def test_mobilenet_stride_one_stem_doubles_maps_not_params():
    wide = build_classifier(dict(type='CifarMobileNetV2', stem_stride=1))
    narrow = build_classifier(dict(type='CifarMobileNetV2'))
    assert sum(p.numel() for p in wide.parameters()) == sum(
        p.numel() for p in narrow.parameters()
    )
    outs = wide.backbone(torch.rand(1, 3, 32, 32))
    assert [o.shape[-1] for o in outs] == [32, 16, 8, 4]


@pytest.mark.parametrize(
    'name',
    ['resnet8', 'wrn_16_2', 'vgg8', 'MobileNetV2', 'ShuffleV1', 'ShuffleV2'],
)
def test_single_channel_28px_input(name):
    model = build_classifier(ZOO[name][0], in_channels=1)
    scores = model(torch.rand(2, 1, 28, 28), mode='tensor')
    assert scores.shape == (2, NUM_CLASSES)


def test_out_indices_select_and_validate():
    backbone = MODELS.build(
        dict(type='CifarResNet', arch='resnet8', out_indices=(0, -1))
    )
    outs = backbone(torch.rand(1, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [16, 64]
    with pytest.raises(ValueError, match='has 3 stages'):
        MODELS.build(
            dict(type='CifarResNet', arch='resnet8', out_indices=(3,))
        )


def test_frozen_stages_stop_gradients_and_stay_eval():
    backbone = MODELS.build(
        dict(type='WideResNet', depth=16, widen_factor=1, frozen_stages=1)
    )
    backbone.train()
    assert not any(p.requires_grad for p in backbone.stem.parameters())
    assert not any(p.requires_grad for p in backbone.stages[0].parameters())
    assert all(p.requires_grad for p in backbone.stages[1].parameters())
    assert not backbone.stages[0].training and backbone.stages[1].training


def test_unknown_arch_is_a_clear_error():
    with pytest.raises(ValueError, match='unknown CifarResNet arch'):
        MODELS.build(dict(type='CifarResNet', arch='resnet9'))
