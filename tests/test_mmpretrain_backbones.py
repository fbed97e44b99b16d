"""HSAKD-style branches on MMPretrain's own backbones (``stage_view.py``):
the view runs the backbone as the backbone runs itself, branches follow
HSAKD's rule, module names stay MMPretrain's, and HSAKD, SAMKD and
MS-MGANs train a step through the Runner on each listed backbone."""

import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmpretrain.registry import MODELS
from test_users_path import REPO, check_one_runner_step, users_cfg

from mmsamkd.errors import ConfigError
from mmsamkd.models.backbones import stage_view

# the backbones the issue lists, small enough for a CPU step at 32x32
BACKBONES = {
    'ResNet': dict(type='ResNet', depth=18),
    'ResNet_CIFAR': dict(type='ResNet_CIFAR', depth=18),
    'ResNetV1c': dict(type='ResNetV1c', depth=18),
    'ResNetV1d': dict(type='ResNetV1d', depth=18),
    'RegNet': dict(type='RegNet', arch='regnetx_400mf'),
    'MobileNetV2': dict(type='MobileNetV2', widen_factor=0.5),
    'ShuffleNetV2': dict(type='ShuffleNetV2', widen_factor=0.5),
}
# and some more through the views' class lookup: bottlenecks, subclasses
MORE_BACKBONES = {
    'ResNet50': dict(type='ResNet', depth=50),
    'ResNetV1d50': dict(type='ResNetV1d', depth=50),
    'ResNeXt50': dict(type='ResNeXt', depth=50),
}


def build(backbone):
    import mmsamkd  # noqa: F401  (compat patches before MMPretrain's models)

    model = MODELS.build(backbone)
    model.init_weights()
    model.eval()  # MMPretrain's ResNet.train returns None
    return model


@pytest.mark.parametrize('name', list(BACKBONES) + list(MORE_BACKBONES))
def test_the_view_runs_the_backbone_as_it_runs_itself(name):
    backbone = build({**BACKBONES, **MORE_BACKBONES}[name])
    view = stage_view(backbone)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = backbone(x)[-1]
        out = view.stem(x)
        for index, stage in enumerate(view.stages):
            out = stage(out)
            assert out.shape[1] == view.stage_channels[index]
        assert torch.equal(view.post(out), expected)


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


def test_branches_copy_the_later_stages_and_repeat_the_deepest():
    backbone = build(BACKBONES['ResNet'])
    view = stage_view(backbone)
    assert view.stage_sources() == [f'backbone.layer{i}' for i in (1, 2, 3, 4)]
    # the branch on layer2 copies layer3 and layer4, with fresh weights
    layers, channels = view.make_branch(1, extra_stage=False)
    assert channels == 512
    assert parameter_count(layers) == parameter_count(
        backbone.layer3
    ) + parameter_count(backbone.layer4)
    copied = layers[1][0].conv1.weight
    assert copied.shape == backbone.layer4[0].conv1.weight.shape
    assert not torch.equal(copied, backbone.layer4[0].conv1.weight)
    # the deepest branch first repeats layer4 at stride 1 on its own output
    layers, channels = view.make_branch(3, extra_stage=True)
    feature = torch.randn(2, 512, 3, 3)
    with torch.no_grad():
        assert layers(feature).shape == (2, 512, 3, 3)
    assert len(layers[0]) == len(backbone.layer4)
    # MobileNetV2: the post block (the 1x1 conv to 1280) is copied too
    mobilenet = stage_view(build(BACKBONES['MobileNetV2']))
    assert mobilenet.default_branch_taps == (1, 2, 4, 6)
    layers, channels = mobilenet.make_branch(6, extra_stage=True)
    assert channels == 1280
    assert parameter_count(layers[-1]) == parameter_count(
        mobilenet.backbone.conv2
    )


def test_branches_on_mmpretrain_backbones_start_as_hsakd_inits_them():
    """Kaiming (fan_out) convs and a zero fc bias, once the model's
    init_weights runs, as on the zoo's networks."""
    torch.manual_seed(0)
    model = MODELS.build(ss_classifier(BACKBONES['ResNet'], 512))
    model.init_weights()
    for branch in model.ss_branches:
        assert torch.count_nonzero(branch.fc.bias) == 0
        conv = next(m for m in branch.modules() if isinstance(m, nn.Conv2d))
        fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
        ratio = conv.weight.std().item() / (2 / fan_out) ** 0.5
        assert abs(ratio - 1) < 0.1


def ss_classifier(backbone, channels):
    return dict(
        type='SelfSupervisedClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=channels),
    )


def test_the_classifier_keeps_mmpretrain_module_names():
    """An MMPretrain checkpoint of the same classifier loads strictly into
    the backbone, neck and head; only the branches are new."""
    import mmsamkd  # noqa: F401

    config = ss_classifier(BACKBONES['ResNet_CIFAR'], 512)
    model = MODELS.build(config)
    plain = MODELS.build(dict(config, type='ImageClassifier'))
    own = {k for k in model.state_dict() if not k.startswith('ss_branches')}
    assert own == set(plain.state_dict())
    assert len(model.ss_branches) == 4
    scores = model.ss_branches[0](torch.randn(2, 64, 8, 8))
    assert scores.shape == (2, 40)  # 4 rotations x 10 classes


def test_a_backbone_without_stages_is_refused_in_one_line():
    import mmsamkd  # noqa: F401

    vit = dict(type='VisionTransformer', arch='deit-tiny', img_size=32)
    with pytest.raises(ConfigError) as error:
        MODELS.build(ss_classifier(vit, 192))
    message = str(error.value)
    assert 'VisionTransformer cannot carry auxiliary branches' in message
    for supported in BACKBONES:
        assert supported in message
    assert '\n' not in message


def test_a_classifier_reading_an_inner_stage_is_refused():
    backbone = dict(BACKBONES['ResNet'], out_indices=(2,))
    with pytest.raises(ConfigError, match=r'out_indices=\(3,\)'):
        stage_view(build(backbone))


def on_backbone(cfg, method, backbone):
    """``cfg`` (a CIFAR-100 config of ``method``) with this backbone for
    teacher and student: the head, branches, distiller, pairs and
    recorders it needs."""
    view = stage_view(build(backbone))
    with torch.no_grad():
        channels = view.backbone(torch.zeros(1, 3, 32, 32))[-1].shape[1]
    for role in ('architecture', 'teacher'):
        model = cfg.model[role]
        model.backbone = ConfigDict(backbone)
        model.head.in_channels = channels
        model.pop('branch_taps', None)  # the view's default taps
    base = Config.fromfile(
        osp.join(REPO, f'configs/_base_/models/{method}.py')
    )
    branches = len(view.default_branch_taps)
    if method == 'hsakd':
        cfg.model.distiller = base[f'hsakd_distiller_{branches}branches']
    elif method == 'samkd':
        cfg.model.distiller = base[f'samkd_distiller_{branches}branches']
        pairs = cfg.model.adversary.pairs
        for index in range(branches):
            name = f'feat{index}'
            pairs[name] = dict(student=name, teacher=name, channels=channels)
    else:  # MS-MGANs: one discriminator per block, on the stage outputs
        sources = view.stage_sources()
        for recorders in ('student_recorders', 'teacher_recorders'):
            for index in range(3):
                cfg.model.distiller[recorders][f'block{index}'] = dict(
                    type='ModuleOutputs', source=sources[index]
                )
        for index in range(3):
            width = view.stage_channels[index]
            cfg.model.adversary.pairs[f'block{index}'].update(
                channels=width, student_channels=width
            )
    return cfg


METHOD_CONFIGS = {
    'hsakd': 'configs/hsakd/hsakd_resnet32x4_resnet8x4_1xb64_cifar100.py',
    'samkd': 'configs/samkd/samkd_resnet32x4_resnet8x4_1xb64_cifar100.py',
    'msmgan': 'configs/msmgan/msmgan_resnet32x4_resnet8x4_1xb64_cifar100.py',
}


STEPS = [(m, b) for m in METHOD_CONFIGS for b in BACKBONES]
# the ResNets of the steps at a quarter of their widths: the same stages
# and branch rule, a quarter of the time
NARROW = dict(stem_channels=16, base_channels=16)


@pytest.mark.slow
@pytest.mark.parametrize('method,backbone', STEPS)
def test_one_runner_step_on_mmpretrain_backbones(
    method,
    backbone,
    synthetic_roots,
    tmp_path,
):
    # teachers of random weights: the plumbing is checked, not learning
    cfg = users_cfg(
        METHOD_CONFIGS[method], synthetic_roots, **{'model.teacher_ckpt': None}
    )
    backbone = BACKBONES[backbone]
    if 'depth' in backbone:
        backbone = dict(backbone, **NARROW)
    cfg = on_backbone(cfg, method, backbone)
    if method == 'msmgan':  # its phases load teacher snapshots
        teacher = MODELS.build(cfg.model.teacher)
        path = str(tmp_path / 'teacher.pth')
        torch.save({'state_dict': teacher.state_dict()}, path)
        cfg.model.teacher_snapshots = [path] * 3
        cfg.model.teacher_ckpt = path
    # no validation: a classifier predicts through the backbone's own
    # forward, which the view leaves as it is (tested above)
    check_one_runner_step(
        cfg, tmp_path, adds_terms=method != 'hsakd', validate=False
    )


MMPRETRAIN_CONFIGS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', '*', '*-mmpretrain_*.py'))
)


def test_mmpretrain_configs_were_found():
    assert len(MMPRETRAIN_CONFIGS) >= 4


@pytest.mark.slow
@pytest.mark.parametrize('config', MMPRETRAIN_CONFIGS)
def test_one_runner_step_of_the_mmpretrain_configs(
    config,
    synthetic_roots,
    tmp_path,
):
    """The configs built on MMPretrain's: its dataset files in their
    official layout, the Runner's loader, one step. The teachers are
    random: a served model-zoo checkpoint is test_url_checkpoint.py's."""
    cfg = users_cfg(config, synthetic_roots)
    # as the Runner does with MMPretrain's top-level data_preprocessor
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
    if cfg.get('load_from'):  # the frozen stage needs its classifier
        plain = MODELS.build(
            dict(
                type='ImageClassifier',
                **{k: cfg.model[k] for k in ('backbone', 'neck', 'head')},
            )
        )
        cfg.load_from = str(tmp_path / 'plain.pth')
        torch.save({'state_dict': plain.state_dict()}, cfg.load_from)
    check_one_runner_step(cfg, tmp_path, adds_terms='samkd' in config)
