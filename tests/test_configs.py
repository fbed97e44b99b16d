"""Every config under configs/ loads, builds and runs one training step."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '/_base_/' not in p
)

INPUT_SIZE = {
    'LocalFashionMNIST': 28,
    'CIFAR10': 32,
    'CIFAR100': 32,
    'TinyImageNet': 64,
}


def config_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def test_configs_were_found():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_names_plugin_and_no_mmcls(path):
    cfg = Config.fromfile(path)
    assert 'mmsamkd' in cfg.custom_imports['imports']
    assert 'mmcls' not in cfg.pretty_text
    with open(path, encoding='utf-8') as f:
        assert 'mmcls' not in f.read()


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds_and_trains_one_step(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model
    if 'teacher_ckpt' in model_cfg:
        model_cfg.teacher_ckpt = None  # weights are not needed to build
    model = MODELS.build(model_cfg)

    dataset_type = cfg.train_dataloader.dataset.type
    size = INPUT_SIZE[dataset_type]
    channels = len(cfg.data_preprocessor.mean)
    num_classes = cfg.data_preprocessor.num_classes
    torch.manual_seed(0)
    inputs = torch.rand(2, channels, size, size)
    samples = [DataSample().set_gt_label(i % num_classes) for i in range(2)]
    model.train()
    losses = model(inputs, samples, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()

    model.eval()
    with torch.no_grad():
        predictions = model(inputs, samples, mode='predict')
    assert predictions[0].pred_score.shape == (num_classes,)

    # every adversarial stage names pairs the model has
    for hook_cfg in cfg.get('custom_hooks', []):
        if hook_cfg['type'].endswith('AdversarialStageHook'):
            for stage in hook_cfg['stages']:
                model.set_adversarial_weights(stage.get('weights', {}))
