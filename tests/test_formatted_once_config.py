"""The tools' runner formats its config once per content, not at every
checkpoint (yapf: up to 2 s a time, the accelerator idle)."""

import os.path as osp

import mmengine.config.config as config_module
import torch

from conftest import STUDENT_CFG, tiny_cfg
from mmsamkd.engine.runner import MmsamkdRunner
from mmsamkd.engine.runner.formatted_once_config import FormattedOnceConfig


def test_a_run_formats_its_config_once(monkeypatch, tmp_path):
    format_code = config_module.FormatCode  # conftest's memo, or yapf's
    calls = []

    def counted(text, **options):
        calls.append(text)
        return format_code(text, **options)

    monkeypatch.setattr(config_module, 'FormatCode', counted)
    cfg = tiny_cfg(STUDENT_CFG, tmp_path, **{'train_cfg.max_epochs': 3})
    runner = MmsamkdRunner.from_cfg(cfg)
    runner.train()
    # logged, dumped twice, run metadata, 3 epochs' and best checkpoints
    assert len(calls) == 1
    saved = torch.load(
        osp.join(tmp_path, 'epoch_3.pth'),
        map_location='cpu',
        weights_only=False,
    )
    plain = config_module.Config(runner.cfg.to_dict())
    assert saved['meta']['cfg'] == plain.pretty_text


def test_the_text_follows_a_change_of_values():
    cfg = FormattedOnceConfig.of(config_module.Config.fromfile(STUDENT_CFG))
    before = cfg.pretty_text
    assert 'max_epochs=12' in before.replace(' ', '')
    cfg.train_cfg.max_epochs = 5
    after = cfg.pretty_text
    assert 'max_epochs=5' in after.replace(' ', '')
    assert after == config_module.Config.fromfile(
        STUDENT_CFG
    ).pretty_text.replace('max_epochs=12', 'max_epochs=5')
