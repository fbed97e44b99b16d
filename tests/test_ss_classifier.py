"""Self-supervised branches on every zoo network, and their losses."""

import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ZOO = Config.fromfile(
    osp.join(REPO, 'configs', '_base_', 'models', 'cifar_zoo.py')
).cifar_zoo
# HSAKD: 3 branches for ResNet / WRN / ShuffleNet, 4 for VGG13, ResNet50
# and MobileNetV2.
FOUR_BRANCHES = {
    'vgg8',
    'vgg13',
    'resnet50',
    'resnet18',
    'mobilenetv2',
    'mobilenetv2_s1',
}


def build_ss(name, num_classes=100, **kwargs):
    cfg = dict(ZOO[name], type='SelfSupervisedClassifier', **kwargs)
    cfg['head'] = dict(cfg['head'], num_classes=num_classes)
    return MODELS.build(cfg)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


@pytest.mark.parametrize('name', sorted(ZOO))
def test_branch_outputs_for_every_zoo_network(name):
    model = build_ss(name)
    expected = 4 if name in FOUR_BRANCHES else 3
    assert len(model.ss_branches) == expected
    model.eval()
    with torch.no_grad():
        logits, branches = model.forward_views(torch.rand(8, 3, 32, 32))
    assert logits.shape == (8, 100)
    assert [b.shape for b in branches] == [(8, 400)] * expected


@pytest.mark.parametrize('name', ['resnet8', 'wrn_16_2', 'vgg8', 'shufflev2'])
def test_branches_at_64_pixels_end_on_the_final_map_size(name):
    model = build_ss(name, num_classes=200)
    model.eval()
    x = torch.rand(2, 3, 64, 64)
    final = model.backbone(x)[-1].shape[-1]
    feats, taps = model.backbone.stem(x), []
    for stage in model.backbone.stages:
        feats = stage(feats)
        taps.append(feats)
    for branch, tap_index in zip(model.ss_branches, model.branch_taps):
        assert branch.layers(taps[tap_index]).shape[-1] == final
        assert branch.fc.out_features == 800


def test_branches_are_fresh_copies_not_shared_weights():
    model = build_ss('resnet8')
    backbone_params = {id(p) for p in model.backbone.parameters()}
    branch_params = {id(p) for p in model.ss_branches.parameters()}
    assert not backbone_params & branch_params
    # branch 0 repeats stages 1 and 2; the deepest branch repeats stage 2
    # with stride 1 (HSAKD's extra stage)
    assert len(model.ss_branches[0].layers) == 3  # stage1, stage2, post
    extra = model.ss_branches[-1].layers[0][0]
    assert extra.shortcut is None  # stride 1, same width: identity


@pytest.mark.parametrize('name', ['vgg8', 'vgg13'])
def test_vgg_deepest_branch_reads_the_last_block(name):
    # HSAKD's VGG returns the outputs of blocks 0, 1, 2 and 4 as features;
    # its fourth branch repeats blocks 3 and 4 (no pooling) on block 4's
    model = build_ss(name)
    model.eval()
    seen = []
    model.ss_branches[3].register_forward_hook(
        lambda module, args, out: seen.append(args[0])
    )
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        model.forward_views(x)
        last = model.backbone(x)[-1]
    assert model.branch_taps == (0, 1, 2, 4)
    assert torch.equal(seen[0], last)
    convs = [
        m for m in model.ss_branches[3].modules() if isinstance(m, nn.Conv2d)
    ]
    per_block = 2 if name == 'vgg13' else 1
    assert len(convs) == 2 * per_block
    assert all(c.in_channels == 512 and c.stride == (1, 1) for c in convs)


def branch_convs(model):
    return [
        m
        for m in model.ss_branches.modules()
        if isinstance(m, nn.Conv2d) and m.weight.numel() >= 4096
    ]


@pytest.mark.parametrize(
    'name, fc_std, zero_bias',
    [
        ('resnet8', None, True),
        ('resnet32x4', None, True),
        ('resnet18', None, False),
        ('wrn_16_2', None, True),
        ('shufflev1', None, True),
        ('mobilenetv2', 0.01, True),
    ],
)
def test_branch_init_follows_the_published_branches(name, fc_std, zero_bias):
    # HSAKD's branches for these networks draw conv weights from
    # N(0, 2 / (k * k * out_channels)) (kaiming fan_out) once the model's
    # init_weights runs, as the runner does
    torch.manual_seed(0)
    model = build_ss(name)
    model.init_weights()
    for conv in branch_convs(model):
        fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
        ratio = conv.weight.std().item() / (2 / fan_out) ** 0.5
        assert abs(ratio - 1) < 0.1, (conv, ratio)
    for branch in model.ss_branches:
        assert torch.count_nonzero(branch.fc.bias) == (
            0 if zero_bias else branch.fc.bias.numel()
        )
        if fc_std is not None:
            assert abs(branch.fc.weight.std().item() / fc_std - 1) < 0.05
            assert abs(branch.fc.weight.mean().item()) < 0.1 * fc_std


def test_branch_taps_out_of_range_are_refused():
    model = build_ss('resnet8', branch_taps=(0, 2))  # the last stage
    assert len(model.ss_branches) == 2
    stages = model.backbone.num_stages
    for taps in ((0, 1, stages), (-1, 0), (1, 0), ()):
        with pytest.raises(ValueError, match='out of range|increasing'):
            build_ss('resnet8', branch_taps=taps)


@pytest.mark.parametrize('name', ['vgg8', 'shufflev2'])
def test_branch_init_keeps_pytorch_defaults_where_published(name):
    torch.manual_seed(0)
    model = build_ss(name)
    before = {k: v.clone() for k, v in model.ss_branches.state_dict().items()}
    model.init_weights()
    after = model.ss_branches.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_loss_values_match_independent_computation():
    torch.manual_seed(0)
    model = build_ss('resnet8', num_classes=10)
    model.eval()  # fixed BN statistics: both passes see the same network
    images = torch.rand(3, 3, 32, 32)
    labels = torch.tensor([1, 7, 3])
    losses = model.loss(images, samples(labels))

    views = torch.stack(
        [
            torch.rot90(images[i], k, dims=(1, 2))
            for i in range(3)
            for k in range(4)
        ]
    )
    logits, branch_logits = model.forward_views(views)
    assert torch.allclose(
        losses['loss_cls'], F.cross_entropy(logits[[0, 4, 8]], labels)
    )
    joint = torch.tensor(
        [4 * y + k for y in labels.tolist() for k in range(4)]
    )
    for i, scores in enumerate(branch_logits):
        assert torch.allclose(
            losses[f'loss_branch{i}'], F.cross_entropy(scores, joint)
        )


def test_branch_losses_carry_their_weight():
    torch.manual_seed(0)
    model = build_ss('resnet8', num_classes=10, branch_loss_weight=0.25)
    model.eval()
    images, labels = torch.rand(2, 3, 32, 32), torch.tensor([4, 9])
    losses = model.loss(images, samples(labels))
    with torch.no_grad():
        _, branch_logits = model.forward_views(
            torch.stack(
                [torch.rot90(x, k, (1, 2)) for x in images for k in range(4)]
            )
        )
    joint = torch.tensor(
        [4 * y + k for y in labels.tolist() for k in range(4)]
    )
    for i, scores in enumerate(branch_logits):
        assert losses[f'loss_branch{i}'].item() == pytest.approx(
            0.25 * F.cross_entropy(scores, joint).item(), rel=1e-5
        )


def test_student_mode_has_no_branch_loss():
    model = build_ss('resnet8', num_classes=10, branch_loss_weight=0)
    losses = model.loss(torch.rand(2, 3, 32, 32), samples([0, 1]))
    assert set(k for k in losses if k.startswith('loss')) == {'loss_cls'}


def test_frozen_mode_trains_only_the_branches():
    model = build_ss('resnet8', num_classes=10, branch_mode='frozen')
    model.train()
    assert not model.backbone.training and not model.head.training
    assert model.ss_branches.training
    losses = model.loss(torch.rand(2, 3, 32, 32), samples([0, 1]))
    # every loss the runner sums, the upright CE included
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.grad is None for p in model.backbone.parameters())
    assert all(p.grad is None for p in model.head.parameters())
    assert all(p.grad is not None for p in model.ss_branches.parameters())


def test_joint_mode_branch_loss_reaches_backbone():
    model = build_ss('resnet8', num_classes=10)
    model.train()
    losses = model.loss(torch.rand(2, 3, 32, 32), samples([0, 1]))
    losses['loss_branch0'].backward()
    assert model.backbone.stem[0].weight.grad is not None
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0


def test_predict_uses_upright_backbone_only():
    model = build_ss('resnet8', num_classes=10)
    model.eval()
    x = torch.rand(2, 3, 32, 32)
    predictions = model(x, samples([0, 1]), mode='predict')
    logits, _ = model.forward_views(x)
    assert torch.allclose(predictions[0].pred_score, logits.softmax(1)[0])


def test_deployed_config_drops_training_only_arguments():
    from mmengine.config import ConfigDict

    from mmsamkd.models.classifiers.plain import to_plain_classifier

    backbone = dict(type='ResNet8')
    for model_type, dropped in (
        ('mmrazor.SelfSupervisedClassifier', dict(branch_taps=(0, 1))),
        ('SSKDClassifier', dict(rotations=(0, 2), contrastive_weight=0.1)),
        ('AdapterClassifier', dict(adapter_stage=1)),
    ):
        cfg = ConfigDict(type=model_type, backbone=backbone, **dropped)
        plain = to_plain_classifier(cfg)
        assert plain == dict(type='ImageClassifier', backbone=backbone)
        assert isinstance(plain, ConfigDict)
    other = ConfigDict(type='ImageClassifier', backbone=backbone, neck=None)
    assert to_plain_classifier(other) is other
