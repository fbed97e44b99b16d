"""A loaded network is fed inputs normalised as in the run that trained
it (mmsamkd/utils/trained_inputs.py), through train.py and test.py."""

import pytest
import torch
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    REPO,
    TEACHER_CFG,
    options_args,
    run_tool_in_process,
)
from mmsamkd.datasets import LocalFashionMNIST
from mmsamkd.errors import ConfigError
from mmsamkd.utils import check_config
from mmsamkd.utils.trained_inputs import (
    checkpoint_meta,
    classes_problem,
    input_normalisation,
    normalisation_differs,
    trained_normalisation,
)

SSA_CFG = f'{REPO}/configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
FMNIST = dict(mean=(72.94,), std=(90.02,), flip=False)


def saved_with(path, preprocessor, where='model'):
    """A checkpoint whose meta holds the config of a run normalising with
    ``preprocessor`` (set on the model, or at the top level)."""
    settings = dict(model=dict(type='ImageClassifier'))
    if where == 'model':
        settings['model']['data_preprocessor'] = preprocessor
    else:
        settings['data_preprocessor'] = preprocessor
    text = Config(settings).pretty_text
    torch.save({'meta': {'cfg': text}, 'state_dict': {}}, path)
    return str(path)


def test_the_model_preprocessor_wins_over_the_top_level_one():
    top = dict(mean=[1, 2, 3], std=[4, 5, 6], bgr_to_rgb=True)
    cfg = Config(dict(data_preprocessor=top, model=dict(type='X')))
    assert input_normalisation(cfg) == dict(
        mean=(1.0, 2.0, 3.0), std=(4.0, 5.0, 6.0), flip=True
    )
    cfg.model.data_preprocessor = dict(mean=[7], std=[8])
    assert input_normalisation(cfg) == dict(
        mean=(7.0,), std=(8.0,), flip=False
    )
    assert input_normalisation(Config(dict(model=dict(type='X')))) == dict(
        mean=None, std=None, flip=False
    )


@pytest.mark.parametrize(
    'used, differs',
    [
        (FMNIST, False),
        (dict(FMNIST, mean=(72.94, 72.94, 72.94)), False),  # broadcast
        (dict(FMNIST, std=(90.02 * (1 + 1e-8),)), False),  # float noise
        (dict(FMNIST, mean=(72.94, 72.94, 0.0)), True),
        (dict(FMNIST, mean=(0.0,)), True),
        (dict(FMNIST, std=(255.0,)), True),
        (dict(FMNIST, std=None), True),
        (dict(FMNIST, flip=True), True),
    ],
)
def test_a_normalisation_differs_in_mean_std_or_channel_order(used, differs):
    assert normalisation_differs(FMNIST, used) is differs
    assert normalisation_differs(used, FMNIST) is differs  # either side
    assert normalisation_differs(None, used) is False  # unknown: unchecked


def test_a_checkpoint_without_a_readable_config_is_not_checked(tmp_path):
    torch.save({'state_dict': {}}, tmp_path / 'bare.pth')
    torch.save({'meta': {'cfg': 'x = ('}}, tmp_path / 'broken.pth')
    (tmp_path / 'junk.pth').write_bytes(b'not a checkpoint')
    for name in ('bare', 'broken', 'junk'):
        meta = checkpoint_meta(str(tmp_path / f'{name}.pth'))
        assert trained_normalisation(meta) is None
    top = saved_with(tmp_path / 'top.pth', dict(mean=[1], std=[2]), 'top')
    assert trained_normalisation(checkpoint_meta(top)) == dict(
        mean=(1.0,), std=(2.0,), flip=False
    )


def test_train_py_refuses_a_teacher_trained_on_other_inputs(
    fmnist_teacher_ckpt, tmp_path
):
    """In a tiny run this teacher mistake cut the teacher from 64 % to 9 %
    validation accuracy, and KD trained on it with rc 0."""
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args(
            {
                'model.teacher_ckpt': fmnist_teacher_ckpt,
                'model.data_preprocessor.mean': [0],
                'model.data_preprocessor.std': [255],
            }
        ),
    )
    assert_one_line_error(
        result,
        f'model.teacher_ckpt {fmnist_teacher_ckpt}',
        'mean [72.94] std [90.02], channels as loaded',
        'mean [0] std [255]',
        'model.data_preprocessor',
    )
    assert not list(tmp_path.glob('*.pth'))


def test_teacher_snapshots_and_frozen_stages_are_checked_too(tmp_path):
    other = saved_with(tmp_path / 'other.pth', dict(mean=[0], std=[1]))
    same = saved_with(
        tmp_path / 'same.pth', dict(mean=[72.94], std=[90.02], to_rgb=False)
    )
    cfg = Config.fromfile(SSA_CFG)
    cfg.load_from = other
    with pytest.raises(ConfigError, match=r'^load_from .*other\.pth was'):
        check_config(cfg)
    cfg.load_from = same
    check_config(cfg)
    cfg.resume = True  # its own checkpoint, which the record checks
    cfg.load_from = other
    check_config(cfg)

    cfg = Config.fromfile(
        f'{REPO}/configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
    )
    cfg.model.teacher_ckpt = same
    cfg.model.teacher_snapshots = [same, other]
    with pytest.raises(ConfigError, match=r'teacher_snapshots\[1\] .*other'):
        check_config(cfg)


def test_test_py_refuses_a_checkpoint_trained_on_other_inputs(
    fmnist_teacher_ckpt, tmp_path
):
    override = {'model.data_preprocessor.std': [1]}
    result = run_tool_in_process(
        'test.py',
        TEACHER_CFG,
        fmnist_teacher_ckpt,
        '--work-dir',
        tmp_path,
        *options_args(override),
    )
    assert_one_line_error(
        result, 'std [90.02]', 'std [1]', 'the config it was trained with'
    )


def test_classes_of_another_dataset_or_order_are_named():
    trained = ('cat', 'dog', 'fox', 'owl', 'yak')
    assert classes_problem(trained, list(trained)) is None
    assert classes_problem(None, trained) is None  # unknown: unchecked
    assert classes_problem(trained, None) is None
    swapped = ('cat', 'dog', 'owl', 'fox', 'yak')
    assert classes_problem(trained, swapped) == (
        "the same classes in another order (label 2 is 'fox' there and "
        "'owl' here), so its logit k would stand for another class than "
        'label k'
    )
    other = ('a', 'b', 'c', 'd', 'e')
    assert classes_problem(trained, other) == (
        'other classes (cat, dog, fox and 2 more) than this data '
        '(a, b, c and 2 more)'
    )
    # three names in full; from four on, the first three and a count
    assert classes_problem(other[:3], trained[:4]) == (
        'other classes (a, b, c) than this data (cat, dog, fox and 1 more)'
    )


FMNIST_CLASSES = LocalFashionMNIST.METAINFO['classes']


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_refuse_a_checkpoint_of_other_classes(
    tool, fmnist_teacher_ckpt, tmp_path
):
    """A config naming the labels in another order than the teacher's
    run did (``metainfo.classes``): one of the two misnames them, or
    their annotation files number the classes differently."""
    reordered = list(reversed(FMNIST_CLASSES))
    split = 'train' if tool == 'train.py' else 'test'
    config = tmp_path / 'reordered.py'
    config.write_text(
        f'_base_ = [{KD_CFG if tool == "train.py" else TEACHER_CFG!r}]\n'
        f'{split}_dataloader = dict(\n'
        f'    dataset=dict(metainfo=dict(classes={reordered!r})))\n'
    )
    if tool == 'train.py':
        args = [config, '--work-dir', tmp_path / 'run']
        options = {'model.teacher_ckpt': fmnist_teacher_ckpt}
        key = 'model.teacher_ckpt'
    else:
        args = [config, fmnist_teacher_ckpt, '--work-dir', tmp_path / 'run']
        options = {}
        key = 'checkpoint'
    result = run_tool_in_process(tool, *args, *options_args(options))
    assert_one_line_error(
        result,
        f'{key} {fmnist_teacher_ckpt} was trained on the same classes in '
        "another order (label 0 is 'T-shirt/top' there and 'Ankle boot' "
        'here)',
    )
    assert not list(tmp_path.glob('run/*.pth'))
