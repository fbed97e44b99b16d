"""Per-parameter optimizer settings (``paramwise_cfg``) that nothing would
read are refused in one line; SAMKD's entries name parameters as the
algorithm does.

Before: ``norm_decay_mul=0`` (a typo), a custom key's ``lr_mul=0``, a
custom key ``student.backbone`` (a distiller's student is
``architecture``) and a ``paramwise_cfg`` on top of SAMKD's entries each
trained to rc 0 on the optimizer's own settings. SAMKD's student-side
optimizer named its parameters ``0.backbone.*``, so the custom key
``architecture.backbone`` matched nothing either.
"""

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from test_cli_errors import assert_one_line_error
from test_samkd import (
    SAMKD_CFG,
    batch,
    build_samkd,
    changed,
    constructor_cfg,
)

from conftest import KD_CFG, STUDENT_CFG, options_args, run_tool_in_process
from mmsamkd.engine import SAMKDOptimWrapperConstructor
from mmsamkd.errors import ConfigError
from mmsamkd.utils.paramwise_settings import (
    check_custom_keys,
    check_paramwise,
    parameter_names,
)


def config(path=STUDENT_CFG, **optim_wrapper):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({'optim_wrapper': optim_wrapper})
    return cfg


@pytest.mark.parametrize(
    'path, optim_wrapper, told',
    [
        (
            STUDENT_CFG,
            dict(paramwise_cfg=dict(norm_decay_mul=0.0)),
            'optim_wrapper.paramwise_cfg.norm_decay_mul: MMEngine reads no '
            "such key (did you mean 'norm_decay_mult'?)",
        ),
        (
            STUDENT_CFG,
            dict(paramwise_cfg=dict(custom_keys={'head': dict(lr_mul=0)})),
            "optim_wrapper.paramwise_cfg.custom_keys['head'].lr_mul: neither"
            ' a multiplier (decay_mult or lr_mult) nor an argument of SGD '
            "(did you mean 'lr_mult'?)",
        ),
        (
            SAMKD_CFG,
            dict(paramwise_cfg=dict(norm_decay_mult=0.0)),
            'optim_wrapper.paramwise_cfg sits beside no optimizer, so no '
            'optimizer reads it and every parameter would train on its '
            "optimizer's own settings. Give each entry its own: "
            'optim_wrapper.architecture.paramwise_cfg, '
            'optim_wrapper.adversary.paramwise_cfg.',
        ),
        (
            SAMKD_CFG,
            dict(
                adversary=dict(
                    paramwise_cfg=dict(custom_keys={'x': dict(betas=1)}),
                ),
                architecture=dict(
                    paramwise_cfg=dict(custom_keys={'x': dict(beta=1)}),
                ),
            ),
            "optim_wrapper.architecture.paramwise_cfg.custom_keys['x'].beta"
            ': neither a multiplier (decay_mult or lr_mult) nor an '
            'argument of SGD',
        ),
    ],
)
def test_settings_that_nothing_reads_are_refused(path, optim_wrapper, told):
    with pytest.raises(ConfigError) as error:
        check_paramwise(config(path, **optim_wrapper))
    assert str(error.value).startswith(told)


def test_train_tool_refuses_a_misspelt_key_before_building(tmp_path):
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'optim_wrapper.paramwise_cfg.norm_decay_mul': 0}),
    )
    assert_one_line_error(
        result, 'optim_wrapper.paramwise_cfg.norm_decay_mul: MMEngine reads'
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    'path, optim_wrapper',
    [
        (
            STUDENT_CFG,
            dict(
                paramwise_cfg=dict(
                    norm_decay_mult=0.0,
                    bias_lr_mult=2.0,
                    custom_keys={
                        'head': dict(lr_mult=0.1, decay_mult=0.0),
                        'stem': dict(lr=0.01, momentum=0.0),
                    },
                )
            ),
        ),
        (  # Adam's own arguments in the adversary's entry
            SAMKD_CFG,
            dict(
                adversary=dict(
                    paramwise_cfg=dict(custom_keys={'d': dict(betas=(0, 1))})
                )
            ),
        ),
        (  # another constructor reads keys of its own
            STUDENT_CFG,
            dict(
                constructor='LearningRateDecayOptimWrapperConstructor',
                paramwise_cfg=dict(layer_decay_rate=0.65),
            ),
        ),
    ],
)
def test_settings_mmengine_reads_pass(path, optim_wrapper):
    check_paramwise(config(path, **optim_wrapper))


def test_custom_keys_are_matched_as_mmengine_names_parameters():
    model = nn.Sequential(nn.Linear(2, 2))
    model.register_parameter('scale', nn.Parameter(torch.ones(1)))
    # a root parameter's name starts with a dot, as in MMEngine's matching
    assert list(parameter_names(model)) == ['.scale', '0.weight', '0.bias']
    check_custom_keys(model, dict(custom_keys={'0.w': {}, '.sc': {}}), 'p')
    check_custom_keys(model, None, 'p')
    with pytest.raises(ConfigError) as error:
        check_custom_keys(model, dict(custom_keys={'1.weight': {}}), 'p')
    assert str(error.value) == (
        "p.custom_keys['1.weight'] is in no parameter name of the model "
        'that optimizer trains, so it would set nothing. Those names look '
        "like 'scale'; use a part of such a name."
    )


def test_train_tool_refuses_a_custom_key_no_parameter_has(
    tmp_path, fmnist_teacher_ckpt
):
    """Through tools/train.py and the Runner's optimizer build: a
    distiller's student is ``architecture``, not ``student``."""
    child = tmp_path / 'kd_frozen_backbone.py'
    child.write_text(
        f'_base_ = [{KD_CFG!r}]\n'
        'optim_wrapper = dict(paramwise_cfg=dict(custom_keys={\n'
        "    'student.backbone': dict(lr_mult=0.0)}))\n"
    )
    args = options_args({'model.teacher_ckpt': fmnist_teacher_ckpt})
    result = run_tool_in_process(
        'train.py', child, '--work-dir', tmp_path / 'run', *args
    )
    assert_one_line_error(
        result,
        "optim_wrapper.paramwise_cfg.custom_keys['student.backbone'] is in "
        'no parameter name of the model that optimizer trains, so it would '
        "set nothing. Those names look like 'architecture.backbone.",
    )
    assert not list((tmp_path / 'run').glob('*.pth'))


def samkd_wrappers(**entries):
    optim = constructor_cfg()
    for key, paramwise in entries.items():
        optim[key] = dict(optim[key], paramwise_cfg=paramwise)
    return build_samkd(optim)


def test_samkd_entries_name_parameters_as_the_algorithm_does():
    """``architecture.backbone`` at lr_mult 0 holds the student's backbone
    through a real step while its head, branches and the discriminators
    train; ``adversary.pairs.feat0`` reaches that pair's discriminator
    alone."""
    algorithm, wrappers = samkd_wrappers(
        architecture=dict(
            custom_keys={'architecture.backbone': dict(lr_mult=0.0)}
        ),
        adversary=dict(
            custom_keys={'adversary.pairs.feat0': dict(lr_mult=0.5)}
        ),
    )
    lrs = {k: v.optimizer.lr for k, v in constructor_cfg().items()}
    frozen = {id(p) for p in algorithm.architecture.backbone.parameters()}
    # (MMEngine's param_groups end with a group of its own, for logging)
    for group in wrappers['architecture'].optimizer.param_groups:
        ids = {id(p) for p in group['params']}
        assert group['lr'] == (0.0 if ids <= frozen else lrs['architecture'])
        assert ids <= frozen or not ids & frozen
    feat0 = algorithm.adversary.pairs.feat0.discriminator.parameters()
    halved = {id(p) for p in feat0}
    for group in wrappers['adversary'].optimizer.param_groups:
        ids = {id(p) for p in group['params']}
        assert group['lr'] == lrs['adversary'] * (0.5 if ids <= halved else 1)
    assert len(wrappers['adversary'].optimizer.param_groups) == 16
    before = {k: v.clone() for k, v in algorithm.state_dict().items()}
    algorithm.train_step(batch(), wrappers)
    moved = {k for k in changed(before, algorithm) if 'running' not in k}
    assert not {k for k in moved if k.startswith('architecture.backbone.')}
    assert any(k.startswith('architecture.head.') for k in moved)
    assert any('.discriminator.' in k for k in moved)


def test_samkd_refuses_a_custom_key_of_another_entry():
    with pytest.raises(ConfigError) as error:
        samkd_wrappers(
            adversary=dict(custom_keys={'architecture.backbone': {}})
        )
    assert str(error.value).startswith(
        "optim_wrapper.adversary.paramwise_cfg.custom_keys['architecture."
        "backbone'] is in no parameter name of the model that optimizer "
        "trains, so it would set nothing. Those names look like 'adversary."
        "pairs.feat0.discriminator.layers.0.weight'; use a part of such a "
        'name.'
    )
    with pytest.raises(ConfigError, match='sits beside no optimizer'):
        SAMKDOptimWrapperConstructor(
            constructor_cfg(), dict(norm_decay_mult=0.0)
        )
