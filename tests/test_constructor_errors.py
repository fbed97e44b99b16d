"""A configured class whose own check refuses its settings is one line
naming the config entry.

Before: ``model.train_cfg.augments.alpha=1`` (MMPretrain's ``Mixup`` takes
1.0) and ``RandomFlip(direction='horisontal')`` ended in a traceback whose
last line was ``AssertionError`` alone; ``RandomFlip(prob=2)`` in MMCV's
``ValueError`` traceback.
"""

import copy

import pytest
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import (
    STUDENT_CFG,
    TEACHER_CFG,
    options_args,
    run_tool_in_process,
)
from mmsamkd.utils.constructor_errors import _same, _shown, constructor_error

PIPELINE = 'train_dataloader.dataset.pipeline'
MIXUP = {
    'model.train_cfg.augments.type': 'Mixup',
    'model.train_cfg.augments.alpha': 1,
}


def build_error_of(options, build):
    """The error that building part of STUDENT_CFG under ``options``
    raises, and the config."""
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.merge_from_dict(options)
    with pytest.raises((AssertionError, ValueError)) as caught:
        build(copy.deepcopy(cfg))  # as the Runner does: builds edit dicts
    return caught.value, cfg


def build_model(cfg):
    from mmpretrain.registry import MODELS

    MODELS.build(cfg.model)


def build_pipeline(cfg):
    from mmpretrain.registry import TRANSFORMS

    for step in cfg.train_dataloader.dataset.pipeline:
        TRANSFORMS.build(step)


def test_a_bare_assertion_names_the_entry_the_check_and_its_values():
    error, cfg = build_error_of(MIXUP, build_model)
    assert str(error) == ''  # all that MMPretrain says
    assert str(constructor_error(error, cfg)) == (
        'model.train_cfg.augments (Mixup) refused its settings: '
        '`assert isinstance(alpha, float) and alpha > 0` failed at '
        'mmpretrain/models/utils/batch_augments/mixup.py:32 with alpha=1. '
        'Give it values that pass this check (1.0, not 1, where it asks '
        'for a float).'
    )


def test_a_value_error_keeps_its_message():
    error, cfg = build_error_of({f'{PIPELINE}.1.prob': 2}, build_pipeline)
    assert isinstance(error, ValueError)
    told = str(constructor_error(error, cfg))
    assert told.startswith(
        f'{PIPELINE}.1 (RandomFlip) refused its settings: probs must be '
        "float or list of float, but got `<class 'int'>` (mmcv/transforms/"
    )
    assert told.endswith('(1.0, not 1, where it asks for a float).')


def test_no_float_hint_where_no_whole_number_was_given():
    error, cfg = build_error_of({f'{PIPELINE}.1.prob': 2.5}, build_pipeline)
    told = str(constructor_error(error, cfg))
    assert told.startswith(f'{PIPELINE}.1 (RandomFlip) refused its settings')
    assert 'with prob=2.5' in told
    assert told.endswith('Give it values that pass this check.')


def test_of_two_entries_of_one_class_the_one_built_is_named():
    """The train pipeline gains a second RandomFlip; only the one whose
    settings failed is named."""
    cfg = Config.fromfile(STUDENT_CFG)
    pipeline = list(cfg.train_dataloader.dataset.pipeline)
    pipeline.insert(2, dict(type='RandomFlip', prob=0.5, direction='up'))
    error, cfg = build_error_of({f'{PIPELINE}': pipeline}, build_pipeline)
    told = str(constructor_error(error, cfg))
    assert told.startswith(f'{PIPELINE}.2 (RandomFlip) refused')
    assert "direction='up'" in told


def test_errors_from_elsewhere_are_left_as_they_are():
    cfg = Config.fromfile(STUDENT_CFG)
    try:
        assert 1 == 2
    except AssertionError as error:  # no constructor on the way
        assert constructor_error(error, cfg) is None

    class Unconfigured:
        def __init__(self):
            raise ValueError('mine')

    with pytest.raises(ValueError) as caught:
        Unconfigured()
    assert constructor_error(caught.value, cfg) is None  # not in the cfg
    error, cfg = build_error_of(MIXUP, build_model)
    assert constructor_error(error, None) is None
    assert constructor_error(TypeError('x'), cfg) is None


def test_a_check_of_a_configured_class_at_run_time_is_not_its_settings():
    """A batch that Mixup refuses in a step is no config slip: its
    traceback stays."""
    import torch
    from mmpretrain.registry import MODELS

    cfg = Config.fromfile(STUDENT_CFG)
    cfg.merge_from_dict({**MIXUP, 'model.train_cfg.augments.alpha': 1.0})
    model = MODELS.build(copy.deepcopy(cfg.model))
    mixup = model.data_preprocessor.batch_augments.augments[0]
    with pytest.raises(AssertionError) as caught:
        mixup(torch.zeros(2, 1, 28, 28), torch.zeros(2))  # scores not 2-D
    assert constructor_error(caught.value, cfg) is None


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_the_tools_refuse_in_one_line(tool, tmp_path, fmnist_teacher_ckpt):
    checkpoint = [fmnist_teacher_ckpt] if tool == 'test.py' else []
    result = run_tool_in_process(
        tool,
        TEACHER_CFG,
        *checkpoint,
        '--work-dir',
        tmp_path,
        *options_args(MIXUP),
    )
    assert_one_line_error(
        result, 'model.train_cfg.augments (Mixup) refused its settings'
    )


def test_train_tool_names_a_transform_of_the_pipeline(tmp_path):
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({f'{PIPELINE}.1.direction': 'horisontal'}),
    )
    assert_one_line_error(
        result,
        f'{PIPELINE}.1 (RandomFlip) refused its settings: `assert '
        'direction in valid_directions` failed at mmcv/transforms/'
        "processing.py:1186 with direction='horisontal', valid_directions=",
    )


def test_settings_compared_and_shown_safely():
    """A local that cannot be compared (a tensor of several values) matches
    no config entry; a long value is left out of the line."""
    import torch

    assert _same(1, 1) and not _same(1, 2)
    assert not _same(torch.zeros(2), torch.zeros(2))  # bool() would raise
    assert _shown('x' * 58) == repr('x' * 58)  # 60 characters, kept
    assert _shown('x' * 59) is None
    assert _shown(torch.zeros(1)) is None
