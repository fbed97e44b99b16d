"""The ``channels_last`` config key: the tools' runner stores convolutions
channels last, before DDP wraps the model, and trains fp32's numbers."""

import os.path as osp

import pytest
import torch
from test_users_path import FAMILY_STEPS

from conftest import REPO, options_args, run_tool_in_process, tiny_cfg
from mmsamkd.engine.runner import MmsamkdRunner
from mmsamkd.errors import ConfigError
from mmsamkd.utils.model_wrappers import unwrap_model
from mmsamkd.utils.run_results import record_mismatch, run_record

SAMKD = osp.join(REPO, 'configs', FAMILY_STEPS['samkd'][0])


def conv_weights(model):
    return {
        name: value
        for name, value in unwrap_model(model).state_dict().items()
        if value.dim() == 4
    }


def test_samkd_trains_channels_last_to_the_weights_of_fp32(
    fmnist_ssa_teacher_ckpt, tmp_path
):
    """SAMKD (a wrapper per optimizer, discriminators, branches) through
    the tools' runner, 4 steps, from the same seed with and without the
    key: every convolution is stored channels last in one run only, and
    both end on the same weights up to fp32's summation order."""
    trained = {}
    for channels_last in (False, True):
        cfg = tiny_cfg(
            SAMKD,
            tmp_path / str(channels_last),
            **{
                'model.teacher_ckpt': fmnist_ssa_teacher_ckpt,
                'train_dataloader.dataset.indices': 128,
                'train_cfg.val_interval': 2,
                'channels_last': channels_last,
            },
        )
        runner = MmsamkdRunner.from_cfg(cfg)
        runner.train()
        trained[channels_last] = conv_weights(runner.model)
    assert trained[True].keys() == trained[False].keys()
    for name, value in trained[True].items():
        assert value.is_contiguous(memory_format=torch.channels_last), name
        assert trained[False][name].is_contiguous(), name
        torch.testing.assert_close(
            value, trained[False][name], rtol=1e-3, atol=1e-4, msg=name
        )


def test_channels_last_must_be_a_bool(tmp_path):
    config = osp.join(REPO, 'configs', FAMILY_STEPS['vanilla'][0])
    cfg = tiny_cfg(config, tmp_path, channels_last='yes')
    with pytest.raises(ConfigError, match="channels_last is 'yes'"):
        MmsamkdRunner.from_cfg(cfg)
    # a config without the key keeps PyTorch's layout
    cfg.pop('channels_last')
    assert MmsamkdRunner.from_cfg(cfg).channels_last is False


def test_train_py_refuses_it_beside_another_runner(tmp_path):
    """Another runner_type would ignore the key: a slower run than asked
    for, with no word said."""
    config = osp.join(REPO, 'configs', FAMILY_STEPS['vanilla'][0])
    options = {'channels_last': True, 'runner_type': 'Runner'}
    result = run_tool_in_process(
        'train.py', config, '--work-dir', tmp_path, *options_args(options)
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "not by runner_type 'Runner'" in result.stderr


def test_a_channels_last_run_is_not_reused_for_a_contiguous_one(tmp_path):
    config = osp.join(REPO, 'configs', FAMILY_STEPS['kd'][0])
    contiguous = tiny_cfg(config, tmp_path)
    record = run_record(contiguous)
    assert record['memory_format'] == 'contiguous'
    channels_last = tiny_cfg(config, tmp_path, channels_last=True)
    mismatch = record_mismatch(record, channels_last)
    assert 'memory_format contiguous vs channels_last' in mismatch
