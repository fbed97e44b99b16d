"""A teacher checkpoint that does not fit the teacher stops the run.

Before the strict load, each case below built a distiller with random
teacher weights (warnings only) and trained to rc 0.
"""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from test_cli_errors import assert_one_line_error

from conftest import KD_CFG, REPO, options_args, run_tool_in_process
from mmsamkd.errors import CheckpointError, ConfigError
from mmsamkd.utils import check_config

HSAKD_CFG = osp.join(
    REPO, 'configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
SSKD_CFG = osp.join(
    REPO, 'configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def build(config, teacher_ckpt):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config).model
    cfg.teacher_ckpt = str(teacher_ckpt)
    return MODELS.build(cfg)


def save_weights(model_cfg, path, **head):
    """A checkpoint as tools/train.py writes it, of a fresh ``model_cfg``."""
    init_default_scope('mmpretrain')
    model_cfg = dict(model_cfg)
    model_cfg['head'] = dict(model_cfg['head'], **head)
    model = MODELS.build(model_cfg)
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return model


def test_fitting_checkpoint_loads_every_weight(tmp_path):
    model_cfg = Config.fromfile(KD_CFG).model
    teacher = save_weights(model_cfg.teacher, tmp_path / 't.pth')
    algorithm = build(KD_CFG, tmp_path / 't.pth')
    for key, value in teacher.state_dict().items():
        assert torch.equal(algorithm.teacher.state_dict()[key], value)


def test_a_teacher_with_branches_serves_kd(tmp_path):
    """An HSAKD teacher's checkpoint (its network plus branches) gives a KD
    teacher its network; the branches it holds on top are left out."""
    ssa_cfg = Config.fromfile(
        osp.join(REPO, 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py')
    ).model
    ssa = save_weights(ssa_cfg, tmp_path / 'ssa.pth')
    assert any(k.startswith('ss_branches.') for k in ssa.state_dict())
    algorithm = build(KD_CFG, tmp_path / 'ssa.pth')
    for key, value in algorithm.teacher.state_dict().items():
        assert torch.equal(ssa.state_dict()[key], value)


def test_a_misfit_names_three_keys_and_counts_the_rest():
    from mmsamkd.utils.teacher_checkpoint import key_examples

    assert key_examples(['a', 'b', 'c']) == 'a, b, c'
    assert key_examples(['a', 'b', 'c', 'd', 'e']) == 'a, b, c and 2 more'


def test_the_students_checkpoint_is_refused(tmp_path):
    model_cfg = Config.fromfile(KD_CFG).model
    save_weights(model_cfg.architecture, tmp_path / 'student.pth')
    with pytest.raises(CheckpointError, match='have another shape') as info:
        build(KD_CFG, tmp_path / 'student.pth')
    assert 'student.pth does not fit' in str(info.value)


def test_a_teacher_of_another_class_count_is_refused(tmp_path):
    model_cfg = Config.fromfile(KD_CFG).model
    save_weights(model_cfg.teacher, tmp_path / 't12.pth', num_classes=12)
    with pytest.raises(CheckpointError) as info:
        build(KD_CFG, tmp_path / 't12.pth')
    assert 'head.fc.weight (12, 64) in the checkpoint, (10, 64)' in str(
        info.value
    )


def test_a_file_without_weights_is_refused(tmp_path):
    torch.save({'meta': {'epoch': 3}, 'optimizer': {}}, tmp_path / 'x.pth')
    with pytest.raises(CheckpointError, match='holds none of'):
        build(KD_CFG, tmp_path / 'x.pth')


def test_a_truncated_file_is_refused(tmp_path):
    model_cfg = Config.fromfile(KD_CFG).model
    save_weights(model_cfg.teacher, tmp_path / 't.pth')
    data = (tmp_path / 't.pth').read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match='cannot be read'):
        build(KD_CFG, tmp_path / 'cut.pth')


@pytest.mark.parametrize(
    'config, told',
    [
        (KD_CFG, ('it is a plain teacher', 'ssa-frozen')),
        # before: also called a plain teacher
        (SSKD_CFG, ('it is an SSKD teacher (a projection head)',)),
    ],
)
def test_a_teacher_without_branches_for_hsakd_names_the_ssa_teacher(
    config, told, tmp_path
):
    model_cfg = Config.fromfile(config).model
    save_weights(model_cfg.teacher, tmp_path / 'teacher.pth')
    result = run_tool_in_process(
        'train.py',
        HSAKD_CFG,
        '--work-dir',
        tmp_path / 'run',
        *options_args({'model.teacher_ckpt': tmp_path / 'teacher.pth'}),
    )
    assert_one_line_error(
        result, 'teacher.pth has no self-supervised branches', *told
    )
    assert not osp.exists(tmp_path / 'run' / 'epoch_1.pth')


def test_no_teacher_checkpoint_needs_the_random_teacher_flag():
    cfg = Config.fromfile(KD_CFG)
    cfg.model.teacher_ckpt = None
    with pytest.raises(ConfigError, match='random_teacher=True'):
        check_config(cfg)
    cfg.random_teacher = True
    check_config(cfg)  # an ablation, asked for
    # a teacher that loads its own weights needs no teacher_ckpt; one that
    # only initialises them does
    cfg.random_teacher = False
    cfg.model.teacher.init_cfg = dict(type='Kaiming', layer='Conv2d')
    with pytest.raises(ConfigError, match='random_teacher=True'):
        check_config(cfg)
    cfg.model.teacher.init_cfg = dict(type='Pretrained', checkpoint='t.pth')
    check_config(cfg)


def test_each_teacher_snapshot_must_exist(tmp_path):
    """MS-MGANs reads a snapshot per phase; a missing one is named before
    training, not when its phase begins."""
    first = tmp_path / 'epoch_1.pth'
    first.write_bytes(b'')
    cfg = Config.fromfile(
        osp.join(
            REPO,
            'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
        )
    )
    missing = str(tmp_path / 'epoch_2.pth')
    cfg.model.teacher_snapshots = [str(first), missing]
    cfg.model.teacher_ckpt = str(first)
    with pytest.raises(
        ConfigError, match=f'teacher snapshot {missing!r} does'
    ):
        check_config(cfg)
    cfg.model.teacher_snapshots = [str(first), 'https://host/epoch_2.pth']
    check_config(cfg)  # a URL is fetched (and checked) when it loads


# --- load_from of a frozen stage --------------------------------------------


@pytest.mark.parametrize(
    'stage',
    [
        'resnet14_ssa-frozen_1xb64_fmnist.py',
        'resnet14_sskd-head_1xb64_fmnist.py',
    ],
)
def test_frozen_stage_refuses_load_from_of_another_network(stage, tmp_path):
    """Before: the branches trained on a random backbone (12.89 % instead
    of 32.81 %), with size-mismatch warnings only, and rc 0."""
    from mmengine.runner import Runner

    from conftest import STUDENT_CFG, tiny_cfg

    student = str(tmp_path / 'student.pth')
    save_weights(Config.fromfile(STUDENT_CFG).model, student)
    cfg = tiny_cfg(osp.join(REPO, 'configs/teachers', stage), tmp_path)
    cfg.load_from = student
    runner = Runner.from_cfg(cfg)
    with pytest.raises(CheckpointError) as info:
        runner.train()
    message = str(info.value)
    assert student in message and 'another shape' in message
    assert 'frozen stage' in message
    assert not osp.exists(tmp_path / 'epoch_1.pth')


def test_the_frozen_stage_check_leaves_other_models_alone():
    """A plain classifier may start from part of a checkpoint (a backbone
    alone, to fine-tune); only a frozen stage needs all of its network."""
    from types import SimpleNamespace

    from conftest import STUDENT_CFG
    from mmsamkd.engine.hooks import FrozenStageLoadHook

    init_default_scope('mmpretrain')
    plain = MODELS.build(Config.fromfile(STUDENT_CFG).model)
    backbone_only = {
        k: v for k, v in plain.state_dict().items() if k.startswith('backbone')
    }
    hook = FrozenStageLoadHook()
    runner = SimpleNamespace(model=plain, _load_from='backbone.pth')
    hook.after_load_checkpoint(runner, dict(state_dict=backbone_only))
    plain.frozen = True  # the same checkpoint for a frozen stage: refused
    with pytest.raises(CheckpointError, match='does not hold the'):
        hook.after_load_checkpoint(runner, dict(state_dict=backbone_only))


# --- load_from of any other run ---------------------------------------------


def test_a_start_from_load_from_must_hold_the_network():
    """Only the heads may be missing or differ (fine-tuning for another
    class count; branches a self-supervised stage adds to a plain net)."""
    from conftest import STUDENT_CFG, TEACHER_CFG
    from mmsamkd.utils.teacher_checkpoint import loaded_checkpoint_problem

    student, kd, teacher = (
        built(STUDENT_CFG),
        built(KD_CFG),
        built(TEACHER_CFG),
    )
    ssa = built(
        osp.join(REPO, 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py')
    )

    def problem(model, state_dict):
        return loaded_checkpoint_problem(model, state_dict, 'c.pth', 'x.py')

    weights = student.state_dict()
    assert problem(student, weights) is None
    assert problem(kd, kd.state_dict()) is None
    backbone = {k: v for k, v in weights.items() if k.startswith('backbone')}
    assert problem(student, backbone) is None
    other_classes = dict(weights, **{'head.fc.weight': torch.zeros(12, 16)})
    assert problem(student, other_classes) is None
    kd_twelve = dict(
        kd.state_dict(), **{'architecture.head.fc.weight': torch.zeros(12, 16)}
    )
    assert problem(kd, kd_twelve) is None  # the student's head, in a run
    assert problem(ssa, teacher.state_dict()) is None  # branches start new
    message = problem(student, kd.state_dict())
    assert 'distillation run' in message and 'export_student.py' in message
    message = problem(kd, weights)
    assert 'plain classifier' in message and 'model.teacher_ckpt' in message
    message = problem(student, teacher.state_dict())
    assert message.startswith('load_from c.pth does not fit the model of x.py')
    assert 'another shape' in message
    stem = dict(backbone)
    del stem['backbone.stem.0.weight']
    assert '1 of its' in problem(student, stem)
    # an SS teacher's start without the network's stem: refused
    no_stem = {k: v for k, v in ssa.state_dict().items() if 'stem' not in k}
    assert 'missing' in problem(ssa, no_stem)


def test_a_load_from_must_not_swap_the_teacher(tmp_path):
    """Before: a KD run started from another KD run's checkpoint trained
    under that run's teacher, rc 0, while its config named its own
    ``teacher_ckpt``."""
    from mmsamkd.utils.teacher_checkpoint import loaded_checkpoint_problem

    kd = built(KD_CFG)
    other = built(KD_CFG).state_dict()  # another random teacher
    message = loaded_checkpoint_problem(kd, other, 'c.pth', 'x.py')
    assert message.startswith(
        'load_from c.pth holds a teacher other than the one '
        'model.teacher_ckpt gave this run (teacher.backbone.stem.0.weight, '
    )
    assert 'model.architecture.init_cfg.checkpoint=STUDENT' in message
    # the same teacher under another student: a start from that student
    same_teacher = {
        k: kd.state_dict()[k] if k.startswith('teacher.') else v
        for k, v in other.items()
    }
    assert loaded_checkpoint_problem(kd, same_teacher, 'c.pth', 'x.py') is None
    # one running mean of the teacher's norms is enough
    key = 'teacher.backbone.stem.1.running_mean'
    same_teacher[key] = same_teacher[key] + 1
    message = loaded_checkpoint_problem(kd, same_teacher, 'c.pth', 'x.py')
    assert f'({key} differ)' in message


def test_train_py_refuses_a_load_from_that_does_not_fit(tmp_path):
    """Before: a distillation checkpoint as a student's load_from (or
    another network's) loaded nothing, and the run trained from random
    weights with rc 0, the skipped keys among the log lines. Fine-tuning
    for another class count still starts."""
    from conftest import STUDENT_CFG

    kd_ckpt = str(tmp_path / 'kd.pth')
    torch.save({'meta': {}, 'state_dict': built(KD_CFG).state_dict()}, kd_ckpt)
    train = ('train.py', STUDENT_CFG, '--work-dir', tmp_path / 'run')
    result = run_tool_in_process(*train, *options_args({'load_from': kd_ckpt}))
    assert_one_line_error(result, kd_ckpt, 'distillation run')
    assert not osp.exists(tmp_path / 'run' / 'epoch_1.pth')
    # a student trained on 12 classes, fine-tuned on these 10
    student = str(tmp_path / 'student.pth')
    save_weights(Config.fromfile(STUDENT_CFG).model, student, num_classes=12)
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path / 'ft',
        *options_args({'load_from': student}),
    )
    assert result.returncode == 0, result.stderr[-2000:]


# --- init_cfg=dict(type='Pretrained') ---------------------------------------


def test_a_pretrained_init_must_fit_its_module(tmp_path):
    """As for load_from: all weights outside the heads, under ``prefix``
    where one is given."""
    from conftest import STUDENT_CFG, TEACHER_CFG
    from mmsamkd.utils.teacher_checkpoint import pretrained_init_problem

    student_ckpt, teacher_ckpt = tmp_path / 's.pth', tmp_path / 't.pth'
    save_weights(Config.fromfile(STUDENT_CFG).model, student_ckpt)
    save_weights(
        Config.fromfile(TEACHER_CFG).model, teacher_ckpt, num_classes=12
    )
    kd = built(KD_CFG)
    assert pretrained_init_problem(kd) is None  # no Pretrained init at all
    kd.teacher.init_cfg = dict(type='Pretrained', checkpoint=str(teacher_ckpt))
    assert pretrained_init_problem(kd) is None  # the head may differ
    kd.teacher.init_cfg['checkpoint'] = str(student_ckpt)
    message = pretrained_init_problem(kd)
    assert message.startswith(f'teacher.init_cfg loads {student_ckpt}, which')
    assert 'another shape' in message and 'would stay random' in message
    # a backbone from a classifier's checkpoint, as MMPretrain configs do
    kd.teacher.init_cfg = None
    kd.teacher.backbone.init_cfg = [
        dict(type='Kaiming', layer='Conv2d'),
        dict(
            type='Pretrained', checkpoint=str(teacher_ckpt), prefix='backbone.'
        ),
    ]
    assert pretrained_init_problem(kd) is None
    kd.teacher.backbone.init_cfg[1]['checkpoint'] = str(student_ckpt)
    message = pretrained_init_problem(kd)
    assert message.startswith('teacher.backbone.init_cfg loads')
    kd.teacher.backbone.init_cfg = None
    kd.architecture.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(teacher_ckpt), prefix='backbone.'
    )
    message = pretrained_init_problem(kd)
    assert 'architecture.backbone.init_cfg loads' in message
    assert "(prefix 'backbone.')" in message
    kd.architecture.backbone.init_cfg['checkpoint'] = str(tmp_path / 'no.pth')
    assert 'which does not exist' in pretrained_init_problem(kd)


def test_train_py_refuses_a_teacher_init_of_another_network(tmp_path):
    """Before: the teacher stayed random (the student's weights did not
    fit), size-mismatch warnings in the log, rc 0."""
    from conftest import STUDENT_CFG

    student = str(tmp_path / 'student.pth')
    save_weights(Config.fromfile(STUDENT_CFG).model, student)
    options = {
        'model.teacher_ckpt': None,
        'model.teacher.init_cfg.type': 'Pretrained',
        'model.teacher.init_cfg.checkpoint': student,
    }
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path / 'run',
        *options_args(options),
    )
    assert_one_line_error(result, f'teacher.init_cfg loads {student}')
    assert not osp.exists(tmp_path / 'run' / 'epoch_1.pth')


# --- the checkpoint tools/test.py evaluates ---------------------------------


def built(config):
    init_default_scope('mmpretrain')
    model_cfg = Config.fromfile(config).model
    if 'teacher_ckpt' in model_cfg:
        model_cfg.teacher_ckpt = None
    return MODELS.build(model_cfg)


def test_evaluated_checkpoint_must_hold_the_models_weights():
    from conftest import STUDENT_CFG, TEACHER_CFG
    from mmsamkd.utils.teacher_checkpoint import evaluated_checkpoint_problem

    student, kd = built(STUDENT_CFG), built(KD_CFG)
    teacher = built(TEACHER_CFG)

    def problem(model, weights_of):
        return evaluated_checkpoint_problem(
            model, weights_of.state_dict(), 'ckpt.pth', 'config.py'
        )

    assert problem(student, student) is None
    assert problem(kd, kd) is None
    assert 'distillation run' in problem(student, kd)
    assert 'export its student' in problem(student, kd)
    assert 'plain classifier' in problem(kd, student)
    # the teacher's config with the student's weights: other shapes
    message = problem(teacher, student)
    assert 'does not fit the model of config.py' in message
    assert 'another shape' in message or 'missing' in message


@pytest.mark.slow
def test_test_tool_refuses_a_checkpoint_of_another_model(tmp_path):
    from conftest import STUDENT_CFG

    kd_ckpt = str(tmp_path / 'kd.pth')
    torch.save({'meta': {}, 'state_dict': built(KD_CFG).state_dict()}, kd_ckpt)
    result = run_tool_in_process(
        'test.py',
        STUDENT_CFG,
        kd_ckpt,
        '--work-dir',
        tmp_path,
        *options_args({}),
    )
    assert_one_line_error(result, kd_ckpt, 'distillation run')
