"""Config keys that nothing reads are errors, not silent no-ops.

Before: ``--cfg-options trian_cfg.max_epochs=1`` trained 12 epochs, and
``teacher_ckpt=OTHER`` distilled from the old teacher, both with rc 0; so
did a KD run given Mixup on its student (``model.architecture.train_cfg``),
on unmixed images.
"""

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    REPO,
    STUDENT_CFG,
    options_args,
    run_tool_in_process,
    tiny_cfg,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils.config_keys import (
    check_algorithm_preprocesses,
    check_config_keys,
    check_overrides,
)
from mmsamkd.utils.model_wrappers import unwrap_model

CIFAR_KD_CFG = f'{REPO}/configs/kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py'


@pytest.mark.parametrize(
    'option,nearest',
    [
        ('trian_cfg.max_epochs', 'train_cfg'),
        ('optim_wraper.optimizer.lr', 'optim_wrapper'),
    ],
)
def test_a_key_nothing_reads_is_refused_with_the_nearest_key(option, nearest):
    cfg = Config.fromfile(KD_CFG)
    check_config_keys(cfg)  # the shipped config itself is fine
    cfg.merge_from_dict({option: 1})
    key = option.split('.')[0]
    with pytest.raises(
        ConfigError, match=f"'{key}'.*did you mean '{nearest}'"
    ):
        check_config_keys(cfg)


def child_config(tmp_path, base, body, name='child.py'):
    path = tmp_path / name
    path.write_text(f'_base_ = [{str(base)!r}]\n{body}\n')
    return str(path)


def test_a_child_config_key_nothing_reads_is_refused(tmp_path):
    cfg = Config.fromfile(
        child_config(tmp_path, KD_CFG, 'trian_cfg = dict(max_epochs=1)')
    )
    with pytest.raises(ConfigError, match="'trian_cfg' .*child.py"):
        check_config_keys(cfg)


def test_a_child_config_cannot_reset_a_variable_its_base_read(tmp_path):
    # the base's model read teacher_ckpt when the base was loaded
    cfg = Config.fromfile(
        child_config(tmp_path, KD_CFG, "teacher_ckpt = 'other.pth'")
    )
    assert cfg.model.teacher_ckpt != 'other.pth'
    with pytest.raises(ConfigError, match="'teacher_ckpt' .*child.py.*read"):
        check_config_keys(cfg)
    # a child that also uses its value is fine
    fine = child_config(
        tmp_path,
        KD_CFG,
        "teacher_ckpt = 'other.pth'\nmodel = dict(teacher_ckpt=teacher_ckpt)",
        name='fine.py',
    )
    check_config_keys(Config.fromfile(fine))


@pytest.mark.parametrize(
    'config,option,paths',
    [
        (KD_CFG, 'teacher_ckpt', ['model.teacher_ckpt']),
        (STUDENT_CFG, 'val_size', ['train_dataloader.dataset.val_size']),
        (
            STUDENT_CFG,
            'data_root',
            [
                'train_dataloader.dataset.data_root',
                'val_dataloader.dataset.data_root',
            ],
        ),
    ],
)
def test_overriding_a_variable_already_read_names_its_readers(
    config, option, paths
):
    cfg = Config.fromfile(config)
    with pytest.raises(ConfigError) as info:
        check_overrides(cfg, {option: 'OTHER'})
    message = str(info.value)
    assert f'--cfg-options {option}' in message
    for path in paths:
        assert path in message
    # the entries themselves may be set
    check_overrides(cfg, {paths[0]: 'OTHER', 'train_cfg.max_epochs': 1})


def test_data_root_of_a_config_without_that_variable_is_refused():
    # CIFAR configs name their folder in each dataset: a top-level
    # data_root is a new key that nothing reads
    cfg = Config.fromfile(CIFAR_KD_CFG)
    check_overrides(cfg, {'data_root': '/data/cifar'})
    cfg.merge_from_dict({'data_root': '/data/cifar'})
    with pytest.raises(ConfigError, match="'data_root' .*read by nothing"):
        check_config_keys(cfg)


@pytest.mark.slow
def test_train_tool_refuses_a_misspelt_key_in_one_line(tmp_path):
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        '--cfg-options',
        'trian_cfg.max_epochs=1',
    )
    assert_one_line_error(result, "'trian_cfg'", "did you mean 'train_cfg'")
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        '--cfg-options',
        'teacher_ckpt=other.pth',
    )
    assert_one_line_error(result, 'teacher_ckpt', 'model.teacher_ckpt')


def test_a_dumped_config_keeps_its_variables_without_error(tmp_path):
    # a work dir's copy of a config: every value inlined, its variables
    # left over with the values in effect
    dumped = str(tmp_path / 'dumped.py')
    Config.fromfile(STUDENT_CFG).dump(dumped)
    cfg = Config.fromfile(dumped)
    assert 'data_root' in cfg
    check_config_keys(cfg)
    cfg.merge_from_dict({'trian_cfg': dict(max_epochs=1)})
    with pytest.raises(ConfigError, match='trian_cfg'):
        check_config_keys(cfg)


def test_a_variable_read_as_base_attribute_is_read(tmp_path):
    """A child reading ``_base_.schedule_lr`` reads the base's variable."""
    base = child_config(tmp_path, KD_CFG, 'schedule_lr = 0.07', 'base.py')
    child = child_config(
        tmp_path,
        base,
        'optim_wrapper = dict(optimizer=dict(lr=_base_.schedule_lr))',
    )
    cfg = Config.fromfile(child)
    assert cfg.optim_wrapper.optimizer.lr == 0.07
    check_config_keys(cfg)
    # the same variable that no file reads
    cfg = Config.fromfile(child_config(tmp_path, base, '', 'unread.py'))
    with pytest.raises(ConfigError, match="'schedule_lr' .*base.py"):
        check_config_keys(cfg)


@pytest.mark.parametrize(
    'tool, option, told',
    [
        # a schedule option the config's cosine schedule does not take
        (
            'train.py',
            'param_scheduler.milestones=[3,6]',
            "CosineAnnealingParamScheduler takes no argument 'milestones'"
            ', which the config gives it (param_scheduler.milestones)',
        ),
        # a misspelt seed key: Runner.set_randomness takes it, no class
        (
            'train.py',
            'randomness.sed=3',
            "Runner.set_randomness takes no argument 'sed', which the config "
            'gives it (randomness.sed)',
        ),
        # CheckpointHook hands it to save_checkpoint, at the first save
        (
            'train.py',
            'default_hooks.checkpoint.max_keep_ckpt=1',
            "takes no argument 'max_keep_ckpt', which the config gives it "
            '(default_hooks.checkpoint.max_keep_ckpt)',
        ),
        # a misspelt evaluator option
        (
            'test.py',
            'test_evaluator.0.topk_typo=1',
            "Accuracy takes no argument 'topk_typo', which the config gives "
            'it (test_evaluator.0.topk_typo)',
        ),
    ],
)
def test_a_key_its_class_does_not_take_is_named_in_one_line(
    tmp_path, tool, option, told
):
    """Before: a ``TypeError`` traceback naming the argument, not the key."""
    from conftest import options_args

    args = [STUDENT_CFG, '--work-dir', tmp_path]
    if tool == 'test.py':
        args.insert(1, tmp_path / 'epoch_1.pth')
        (tmp_path / 'epoch_1.pth').write_bytes(b'')
    tiny = options_args({})
    result = run_tool_in_process(tool, *args, *tiny, option)
    assert_one_line_error(result, told)


def test_the_place_of_a_key_its_class_does_not_take():
    from mmsamkd.utils.misplaced_keys import misplaced_key

    cfg = Config(
        dict(
            model=dict(type='SingleTeacherDistill', architecture={}, by=1),
            optim_wrapper=dict(architecture=dict(optimizer=dict(lr=0.1))),
            param_scheduler=[dict(type='MultiStepLR', architecture=1, by=1)],
        )
    )

    def told(cls, key):
        error = TypeError(
            f'class `{cls}` in mmengine/optim_wrapper: {cls}.__init__() got '
            f"an unexpected keyword argument '{key}'"
        )
        return str(misplaced_key(error, cfg))

    # the dicts of that type; else those of no type (built as a default
    # class: optim_wrapper is an OptimWrapper); else every place
    assert '(param_scheduler.0.architecture)' in told(
        'MultiStepLR', 'architecture'
    )
    assert '(optim_wrapper.architecture)' in told(
        'OptimWrapper', 'architecture'
    )
    assert '(model.by, param_scheduler.0.by)' in told('CosineAnnealing', 'by')
    # not a config key: a bug's traceback is the useful report
    unexpected = "f.__init__() got an unexpected keyword argument '{}'"
    assert misplaced_key(TypeError(unexpected.format('nowhere')), cfg) is None
    assert misplaced_key(TypeError('unsupported operand'), cfg) is None
    assert misplaced_key(TypeError(unexpected.format('lr')), None) is None


def test_a_top_level_preprocessor_override_the_model_ignores_is_refused():
    cfg = Config.fromfile(STUDENT_CFG)
    with pytest.raises(ConfigError, match='Set model.data_preprocessor.std'):
        check_overrides(cfg, {'data_preprocessor.std': [1]})
    check_overrides(cfg, {'model.data_preprocessor.std': [1]})
    del cfg.model['data_preprocessor']  # the Runner's default then: taken
    check_overrides(cfg, {'data_preprocessor.std': [1]})


MIXUP = dict(augments=dict(type='Mixup', alpha=1.0))


@pytest.mark.parametrize(
    'key, value, instead',
    [
        (
            'model.architecture.train_cfg',
            MIXUP,
            'model.data_preprocessor.batch_augments=dict(augments=...)',
        ),
        ('model.architecture.data_preprocessor', dict(std=[1]), None),
        ('model.teacher.data_preprocessor', dict(std=[1]), None),
        (
            'model.teacher.train_cfg',
            MIXUP,
            'model.data_preprocessor.batch_augments=dict(augments=...)',
        ),
    ],
)
def test_a_network_inside_a_distiller_has_no_preprocessing_of_its_own(
    key, value, instead
):
    cfg = Config.fromfile(KD_CFG)
    cfg.merge_from_dict({key: value})
    with pytest.raises(ConfigError) as error:
        check_algorithm_preprocesses(cfg)
    instead = instead or 'model.data_preprocessor'
    assert str(error.value) == (
        f'{key} is never used: the algorithm preprocesses every batch with '
        'its own model.data_preprocessor, for the student and the teacher '
        f'alike. Set {instead} instead.'
    )
    # without one of its own, the algorithm takes its student's
    del cfg.model['data_preprocessor']
    check_algorithm_preprocesses(cfg)
    # a plain classifier reads its train_cfg
    student = Config.fromfile(STUDENT_CFG)
    student.merge_from_dict({'model.train_cfg': MIXUP})
    check_algorithm_preprocesses(student)


def test_train_tool_refuses_mixup_on_a_distilled_student(tmp_path):
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args(
            {
                'model.architecture.train_cfg.augments.type': 'Mixup',
                'model.architecture.train_cfg.augments.alpha': 1.0,
            }
        ),
    )
    assert_one_line_error(
        result, 'model.architecture.train_cfg is never used: the algorithm'
    )


def test_mixup_where_the_refusal_points_mixes_the_kd_step(
    tmp_path, fmnist_teacher_ckpt
):
    """The fix the refusal names, through the Runner: the batch the KD
    step trains on is mixed (soft targets that are no one-hot)."""
    cfg = tiny_cfg(
        KD_CFG,
        tmp_path,
        **{
            'model.teacher_ckpt': fmnist_teacher_ckpt,
            'model.data_preprocessor.batch_augments': MIXUP,
            'train_dataloader.dataset.indices': 8,
            'train_cfg.val_begin': 2,
            'default_hooks.checkpoint': None,
        },
    )
    runner = Runner.from_cfg(cfg)
    preprocessor = unwrap_model(runner.model).data_preprocessor
    preprocess, scores = preprocessor.forward, []

    def recorded(data, training=False):
        data = preprocess(data, training)
        if training:
            scores.append(
                torch.stack([s.gt_score for s in data['data_samples']])
            )
        return data

    preprocessor.forward = recorded
    runner.train()
    assert scores
    mixed = scores[0]
    assert torch.allclose(mixed.sum(1), torch.ones(len(mixed)))
    assert (mixed.max(1).values < 1).any()


@pytest.mark.parametrize(
    'config, option, told',
    [
        # before: a registry KeyError traceback ('must contain the key
        # "type"'), from a misspelt hook or loss name
        (
            STUDENT_CFG,
            'default_hooks.nonfinit.policy',
            "default_hooks has no entry 'nonfinit' (it has 'timer', ",
        ),
        (
            KD_CFG,
            'model.distiller.distill_losses.loss_kl.loss_weight',
            "model.distiller.distill_losses has no entry 'loss_kl' (it has "
            "'loss_kd'), and a "
            "new one would have no type to build. Did you mean 'loss_kd'?",
        ),
        # before: mmengine's "list indices must be integers" traceback
        (
            STUDENT_CFG,
            'val_evaluator.topk',
            'val_evaluator is a list of 2 entries; name the entry by its '
            'index (val_evaluator.0.topk)',
        ),
        (
            STUDENT_CFG,
            'val_evaluator.2.topk',
            'val_evaluator is a list of 2 entries',
        ),
    ],
)
def test_an_override_path_that_lands_nowhere_is_refused(config, option, told):
    cfg = Config.fromfile(config)
    with pytest.raises(ConfigError) as error:
        check_overrides(cfg, {option: 1})
    assert f'--cfg-options {option}: {told}' in str(error.value)


@pytest.mark.parametrize(
    'options',
    [
        {'val_evaluator.1.topk': 1},  # by index
        {'default_hooks.nonfinite.policy': 'skip'},  # an existing entry
        # a new entry with its type
        {'default_hooks.mine.type': 'EMAHook', 'default_hooks.mine.x': 1},
        # a new key in a dict that is not a collection of built objects
        {'model.teacher.init_cfg.type': 'Pretrained'},
        {'env_cfg.dist_cfg.timeout': 60},
        # new keys of a built object whose entries are typed dicts (its
        # type is the default): an optimizer wrapper holding one optimizer
        {'optim_wrapper.clip_grad.max_norm': 1},
        {'optim_wrapper.accumulative_counts': 2},
        {'optim_wrapper.type': 'AmpOptimWrapper'},
    ],
)
def test_override_paths_that_land_are_allowed(options):
    check_overrides(Config.fromfile(KD_CFG), options)


def test_what_counts_as_a_collection_of_built_objects():
    cfg = Config(
        dict(
            # a hook switched off (None) leaves a collection of built ones
            default_hooks=dict(timer=dict(type='IterTimerHook'), vis=None),
            # SAMKD's pairs: dicts without a type, each given to the pair
            model=dict(pairs=dict(feat0=dict(student='f0', teacher='f0'))),
            train_cfg=dict(max_epochs=3, init=None),
        )
    )
    with pytest.raises(ConfigError, match="default_hooks has no entry 'x'"):
        check_overrides(cfg, {'default_hooks.x.interval': 1})
    # also when the path ends there: a new value has no type either
    with pytest.raises(ConfigError, match="default_hooks has no entry 'x'"):
        check_overrides(cfg, {'default_hooks.x': 1})
    check_overrides(cfg, {'model.pairs.feat1.student': 'f1'})
    # settings into a plain value: mmengine's TypeError traceback before
    for option, value in (('max_epochs', 3), ('init', None)):
        with pytest.raises(
            ConfigError,
            match=rf'train_cfg\.{option} is {value}, not a dict of settings',
        ):
            check_overrides(cfg, {f'train_cfg.{option}.x': 1})
