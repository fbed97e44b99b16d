"""A network that takes other image channels than the data has is refused
before the first batch (before: PyTorch's convolution traceback)."""

from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from test_cli_errors import assert_one_line_error

from conftest import KD_CFG, STUDENT_CFG, options_args, run_tool_in_process
from mmsamkd.utils.input_channels import input_channels_problem


def built(config, **options):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config)
    cfg.model.pop('teacher_ckpt', None)
    cfg.merge_from_dict(options)
    return MODELS.build(cfg.model)


def test_each_backbone_takes_the_datas_channels():
    assert input_channels_problem(built(STUDENT_CFG)) is None
    assert input_channels_problem(built(KD_CFG)) is None
    message = input_channels_problem(
        built(STUDENT_CFG, **{'model.backbone.in_channels': 3})
    )
    assert message == (
        'model.backbone takes 3-channel images, but the data has 1 (its '
        'data_preprocessor normalises 1 channel): the first batch would '
        'stop in its convolution. Set model.backbone.in_channels=1 (a '
        'network copied from a config of other data).'
    )
    # the teacher of a distillation run too
    teacher = built(KD_CFG, **{'model.teacher.backbone.in_channels': 3})
    assert input_channels_problem(teacher).startswith(
        'model.teacher.backbone takes 3-channel images, but the data has 1'
    )
    # the data of 3 channels under a network of 1
    rgb = built(
        KD_CFG,
        **{
            'model.data_preprocessor.mean': [1.0, 2.0, 3.0],
            'model.data_preprocessor.std': [1.0, 1.0, 1.0],
        },
    )
    assert 'takes 1-channel images, but the data has 3' in (
        input_channels_problem(rgb)
    )
    # a preprocessor that does not normalise leaves the count unknown
    plain = built(STUDENT_CFG, **{'model.backbone.in_channels': 3})
    plain.data_preprocessor.mean = None
    assert input_channels_problem(plain) is None


def test_train_py_refuses_it_in_one_line(tmp_path):
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'model.backbone.in_channels': 3}),
    )
    assert_one_line_error(result, 'model.backbone.in_channels=1')
