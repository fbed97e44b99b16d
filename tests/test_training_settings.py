"""Optimizer and schedule settings that would train nothing or never
validate are refused in one line.

Before: ``--cfg-options optim_wrapper.optimizer.lr=0`` trained a run that
left every weight as initialised and reported its chance accuracy, rc 0;
``train_cfg.val_begin=5`` of a 1-epoch run kept no best checkpoint, rc 0;
``max_epochs=0``, ``val_interval=0`` and a negative momentum stopped with
tracebacks from mmengine and torch (the last only after an epoch).
"""

import json
import re

import pytest
from mmengine.config import Config
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
from mmsamkd.utils.training_settings import check_training_settings

SAMKD_CFG = (
    f'{REPO}/configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
SSKD_CFG = f'{REPO}/configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'


@pytest.mark.parametrize(
    'option, told',
    [
        (
            'optim_wrapper.optimizer.lr=0',
            'optim_wrapper.optimizer.lr=0: a step of that size leaves every '
            'weight where it started',
        ),
        ('train_cfg.max_epochs=0', 'train_cfg.max_epochs=0: the run would'),
        ('train_cfg.val_begin=2', 'train_cfg.val_begin=2 is after the last'),
        ('train_cfg.val_interval=0', 'train_cfg.val_interval=0: validation'),
    ],
)
def test_train_tool_refuses_a_run_that_trains_or_validates_nothing(
    tmp_path, option, told
):
    # options_args' tiny run trains one epoch
    args = options_args({})
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *args, option
    )
    assert_one_line_error(result, told)
    assert not list(tmp_path.glob('*.pth'))


def settings(path=STUDENT_CFG, **options):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    check_training_settings(cfg)


def test_each_optimizer_of_a_multi_optimizer_run_is_checked():
    settings(SAMKD_CFG)  # the shipped config
    # SAMKD's adversary has an optimizer of its own
    for lr in (0, -0.01):
        with pytest.raises(
            ConfigError, match=r'optim_wrapper\.adversary\.optimizer\.lr='
        ):
            settings(SAMKD_CFG, **{'optim_wrapper.adversary.optimizer.lr': lr})


@pytest.mark.parametrize('key', ['momentum', 'weight_decay'])
def test_a_negative_momentum_or_weight_decay_is_refused(key):
    option = f'optim_wrapper.optimizer.{key}'
    with pytest.raises(ConfigError, match=rf'{option}=-0.5 is negative'):
        settings(**{option: -0.5})
    settings(**{option: 0})  # off is allowed


def test_the_smallest_settings_that_train_and_validate_are_allowed():
    settings(
        **{
            'optim_wrapper.optimizer.lr': 1e-9,
            'train_cfg.max_epochs': 1,
            'train_cfg.val_begin': 1,
            'train_cfg.val_interval': 1,
        }
    )
    settings(**{'train_cfg.max_epochs': 1})  # val_begin's default is 1
    # the last epoch is validated whatever the interval
    settings(**{'train_cfg.max_epochs': 3, 'train_cfg.val_begin': 3})
    settings(**{'train_cfg.max_epochs': 3, 'train_cfg.val_interval': 5})


def test_an_iteration_schedule_is_checked_in_iterations():
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=0)
    with pytest.raises(ConfigError, match='train_cfg.max_iters=0'):
        check_training_settings(cfg)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=10, val_begin=11)
    with pytest.raises(ConfigError, match=r'after the last iter \(10\)'):
        check_training_settings(cfg)
    cfg.val_cfg = None  # no validation loop: nothing to begin
    check_training_settings(cfg)
    # by_epoch=False builds an iteration loop whatever else train_cfg holds
    cfg.train_cfg = dict(by_epoch=False, max_epochs=3, max_iters=0)
    with pytest.raises(ConfigError, match='train_cfg.max_iters=0'):
        check_training_settings(cfg)


@pytest.mark.parametrize(
    'config, option',
    [
        (KD_CFG, 'model.distiller.distill_losses.loss_kd.loss_weight'),
        (STUDENT_CFG, 'model.head.loss.loss_weight'),
        # SAMKD: a pair's weight, and a stage's weights, nested in a list
        (SAMKD_CFG, 'model.adversary.pairs.feat1.match_weight'),
        (SAMKD_CFG, 'custom_hooks.0.stages.1.weights.feat0'),
    ],
)
def test_a_negative_loss_weight_is_refused(config, option):
    """Before: ``loss_kd.loss_weight=-1`` trained a KD student away from
    its teacher, rc 0."""
    settings(config)  # the shipped config
    with pytest.raises(ConfigError, match=rf'{option}=-0.5: a negative'):
        settings(config, **{option: -0.5})
    settings(config, **{option: 0})  # a loss switched off is allowed


@pytest.mark.parametrize(
    'config, option',
    [
        (KD_CFG, 'model.distiller.distill_losses.loss_kd.tau'),
        (SAMKD_CFG, 'model.distiller.distill_losses.loss_branch1.tau'),
        (SSKD_CFG, 'model.distiller.distill_losses.loss_ss.tau'),
    ],
)
def test_a_softmax_temperature_must_be_above_zero(config, option):
    """Before: ``tau=-4`` trained a KD student to rc 0 on turned-over
    distributions; ``tau=0`` stopped on a non-finite loss, blaming the
    learning rate."""
    node = Config.fromfile(config)
    for key in option.split('.'):
        node = node[key]
    assert node > 0  # the shipped temperature, at that path
    for value in (-4, 0):
        with pytest.raises(ConfigError, match=rf'{option}={value}: a soft'):
            settings(config, **{option: value})
    settings(config, **{option: 0.5})


@pytest.mark.parametrize(
    'config, options, told',
    [
        # ignored beside the student's loss: the student trained
        (KD_CFG, {'student_trainable': False}, 'has no effect beside'),
        # the student under no_grad, nothing else to train
        (
            KD_CFG,
            {'student_trainable': False, 'calculate_student_loss': False},
            'nothing would train',
        ),
        # before: rc 0, the teacher's CE in the log, the teacher unchanged
        (SAMKD_CFG, {'teacher_trainable': True}, 'do not hold the teacher'),
    ],
)
def test_a_network_asked_to_train_or_not_that_would_not_is_refused(
    config, options, told
):
    model = {f'model.{key}': value for key, value in options.items()}
    with pytest.raises(
        ConfigError, match=f'^model.{list(options)[0]}.*{told}'
    ):
        settings(config, **model)


def test_what_mmrazor_trains_as_asked_is_allowed():
    settings(KD_CFG, **{'model.calculate_student_loss': False})  # KD alone
    settings(KD_CFG, **{'model.teacher_trainable': True})  # one optimizer
    # MMRazor's connector pretraining: only the connectors learn
    connector = dict(type='ConvModuleConnector', in_channel=8, out_channel=8)
    settings(
        KD_CFG,
        **{
            'model.student_trainable': False,
            'model.calculate_student_loss': False,
            'model.distiller.connectors': dict(feat=connector),
        },
    )


@pytest.mark.parametrize(
    'option, told',
    [
        ('train_dataloader.batch_size', 'train_dataloader.batch_size=0'),
        ('val_dataloader.batch_size', 'val_dataloader.batch_size=0'),
        ('test_dataloader.num_workers', 'test_dataloader.num_workers=-1'),
    ],
)
def test_a_loader_of_no_images_or_negative_workers_is_refused(option, told):
    value = -1 if 'workers' in option else 0
    with pytest.raises(ConfigError, match=told):
        settings(**{option: value})
    settings(**{option: 1})


@pytest.mark.parametrize(
    'key, value, off',
    [('persistent_workers', True, False), ('prefetch_factor', 2, None)],
)
def test_worker_settings_without_workers_are_refused(key, value, off):
    """Before: torch's ValueError traceback when the loop was built."""
    option = f'train_dataloader.{key}'
    with pytest.raises(ConfigError, match=rf'^{option}={value} applies to'):
        settings(**{option: value})
    settings(**{option: value, 'train_dataloader.num_workers': 2})
    settings(**{option: off})


def test_a_training_loader_of_no_batch_is_refused(tmp_path):
    """Before: 32 images under batch_size=64 and drop_last=True trained
    no step, then validated and saved the initial weights, rc 0."""
    args = options_args(
        {
            'train_dataloader.dataset.indices': 32,
            'train_dataloader.drop_last': True,
        }
    )
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *args
    )
    assert_one_line_error(
        result,
        'train_dataloader yields no batch: 32 images against batch_size=64 '
        'with drop_last=True, so the run would train nothing',
    )
    assert not list(tmp_path.glob('*.pth'))


def test_what_makes_a_training_loader_empty(monkeypatch):
    from torch.utils.data import DataLoader, IterableDataset

    from mmsamkd.utils import training_settings
    from mmsamkd.utils.training_settings import (
        empty_training_loader_problem as problem,
    )

    images = list(range(3))
    assert problem(DataLoader(images, batch_size=3, drop_last=True)) is None
    assert 'batch_size=4 with' in problem(
        DataLoader(images, batch_size=4, drop_last=True)
    )
    assert problem(DataLoader(images, batch_size=4)) is None  # a part batch
    assert problem(DataLoader([], batch_size=4)) == (
        'train_dataloader yields no batch: its dataset holds no image.'
    )

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(images)

    assert problem(DataLoader(Stream(), batch_size=4)) is None  # no length

    # under 2 processes, each one's sampler holds its share of the images
    monkeypatch.setattr(training_settings, 'get_world_size', lambda: 2)
    share = DataLoader(images, batch_size=2, drop_last=True, sampler=[0])
    assert 'no batch: 1 images on each of 2 processes against batch' in (
        problem(share)
    )


def test_a_pipeline_that_does_not_pack_its_samples_is_refused():
    """Before: a pipeline without PackInputs stopped at the first batch
    with ``KeyError: 'inputs'`` from the data preprocessor (a validation
    loader's, an epoch in)."""
    resize = dict(type='Resize', scale=32)
    with pytest.raises(ConfigError, match='^val_dataloader.dataset.pipeline'):
        settings(**{'val_dataloader.dataset.pipeline': [resize]})
    wrapped = dict(type='RepeatDataset', times=2, dataset=dict(pipeline=[]))
    wrapped['dataset']['pipeline'] = [dict(type='PackInputs'), resize]
    with pytest.raises(ConfigError, match='ends with Resize, not PackInputs'):
        settings(**{'train_dataloader.dataset': wrapped})
    # another packer's name (MMPretrain 0.x's, a self-supervised one's)
    settings(
        **{'test_dataloader.dataset.pipeline': [dict(type='PackClsInputs')]}
    )


@pytest.mark.parametrize(
    'option, told',
    [
        ('test_dataloader.batch_size=0', 'test_dataloader.batch_size=0: a'),
        # evaluation_settings.py: every test image is scored
        ('test_dataloader.drop_last=True', 'test_dataloader.drop_last=True'),
    ],
)
def test_test_tool_checks_its_test_loader(tmp_path, option, told):
    checkpoint = tmp_path / 'epoch_1.pth'
    checkpoint.write_bytes(b'')  # refused before it is read
    result = run_tool_in_process(
        'test.py',
        STUDENT_CFG,
        checkpoint,
        '--work-dir',
        tmp_path,
        '--cfg-options',
        option,
    )
    assert_one_line_error(result, told)


@pytest.mark.parametrize(
    'option, value, told',
    [
        # before: rc 0 with a model as initialised (4.7 % in a tiny run)
        ('optim_wrapper.clip_grad.max_norm', 0, 'clipped to zero'),
        ('optim_wrapper.clip_grad', dict(clip_value=0), 'clip_value=0: every'),
        # before: tracebacks (an AssertionError or ValueError from mmengine,
        # numpy or the dataset)
        ('optim_wrapper.accumulative_counts', 0, 'accumulative_counts=0: a'),
        ('val_dataloader.dataset.indices', 0, 'would hold no image'),
        # before: the last 5 images, refused as 'no image' (wrongly said)
        ('train_dataloader.dataset.indices', -5, 'take the last 5 images'),
        ('randomness.seed', -1, 'randomness.seed=-1: a seed is'),
        ('randomness.seed', 2**32, 'a whole number from 0 to 2**32 - 1'),
        ('train_cfg.max_epochs', 1.5, 'train a part of an epoch'),
        # before: torch's ValueError traceback
        (
            'train_dataloader.batch_size',
            64.0,
            'train_dataloader.batch_size=64.0: a count, so a whole number. '
            'Set 64.',
        ),
        ('val_dataloader.dataset.indices', 1.5, 'whole number. Set one.'),
        # before: the first epoch never ended
        ('train_dataloader.sampler.type', 'InfiniteSampler', 'never ends'),
        # MultiStepLR's decay to 0: no training after the first milestone
        ('param_scheduler', dict(type='MultiStepLR', gamma=0), 'to 0 at'),
        (
            'param_scheduler',
            [dict(type='LinearLR'), dict(type='StepLR', gamma=-0.1)],
            'param_scheduler.1.gamma=-0.1: the learning rate would drop to '
            'a negative value',
        ),
        # before: mmengine's ValueError and RuntimeError tracebacks
        ('default_hooks.logger.interval', 0, 'logger.interval=0: the'),
        # before: validated at epochs 3, 6, ... rc 0
        ('train_cfg.val_interval', 1.5, 'val_interval=1.5: MMEngine'),
        ('train_cfg.val_begin', 2.5, 'val_begin=2.5: MMEngine validates'),
        (
            'train_cfg.type',
            'IterBasedTrainLoop',
            "train_cfg holds both type='IterBasedTrainLoop' and by_epoch=True",
        ),
    ],
)
def test_settings_that_learn_nothing_or_fail_in_torch_are_refused(
    option, value, told
):
    with pytest.raises(ConfigError, match=re.escape(told)):
        settings(**{option: value})


def test_the_bounds_of_those_settings_are_allowed():
    settings(
        **{
            'optim_wrapper.clip_grad': dict(max_norm=1e-3, clip_value=1e-3),
            'optim_wrapper.accumulative_counts': 1,
            'val_dataloader.dataset.indices': 1,
            'randomness.seed': 2**32 - 1,
            'param_scheduler': dict(type='MultiStepLR', gamma=1e-3),
        }
    )
    settings(**{'randomness.seed': 0, 'train_cfg.max_epochs': 2.0})
    settings(**{'randomness.seed': None, 'optim_wrapper.clip_grad': None})
    settings(**{'default_hooks.logger.interval': 1})
    settings(**{'train_cfg.val_interval': 2.0, 'train_cfg.val_begin': 1.0})
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=10)
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler')
    cfg.default_hooks.logger.log_metric_by_epoch = False
    check_training_settings(cfg)  # an infinite sampler, counted in iters


def test_a_cosine_shorter_than_the_run_is_refused(tmp_path):
    """Past T_max mmengine's cosine climbs back to its initial lr: before,
    a main-job config lengthened to 24 epochs under T_max=12 trained its
    last epochs at 0.049 of 0.05, rc 0."""
    result = run_tool_in_process(
        'train.py',
        SAMKD_CFG,
        '--work-dir',
        tmp_path,
        '--cfg-options',
        'train_cfg.max_epochs=24',
    )
    assert_one_line_error(
        result,
        'param_scheduler.architecture: CosineAnnealingLR reaches its minimum'
        ' at 12 epochs (begin 0, T_max=12) but the run lasts 24',
        'Set param_scheduler.architecture.T_max=24 to anneal over the whole '
        'run, or param_scheduler.architecture.end=12 to hold the minimum.',
    )
    assert not list(tmp_path.glob('*.pth'))
    # both of SAMKD's schedules lengthened, or held at their minimum
    settings(
        SAMKD_CFG,
        **{
            'train_cfg.max_epochs': 24,
            'param_scheduler.architecture.T_max': 24,
            'param_scheduler.adversary.0.end': 12,
        },
    )
    # a shorter run stops on the way down: a choice, not a climb
    settings(**{'train_cfg.max_epochs': 3})
    settings(**{'train_cfg.max_epochs': 12})
    with pytest.raises(ConfigError, match=r'at 12 epochs .* lasts 13'):
        settings(**{'train_cfg.max_epochs': 13})


def schedule(train_cfg, *schedulers):
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.train_cfg = train_cfg
    cfg.param_scheduler = list(schedulers)
    # validations recorded in the loop's unit (check_validation_steps)
    by_epoch = 'max_epochs' in train_cfg
    cfg.default_hooks.logger.log_metric_by_epoch = by_epoch
    check_training_settings(cfg)


def test_a_cosine_is_measured_in_its_own_units():
    cosine = dict(type='CosineAnnealingLR')
    epochs = dict(by_epoch=True, max_epochs=12)
    # after a warm-up, from its begin
    warmup = dict(type='LinearLR', by_epoch=True, begin=0, end=2)
    schedule(epochs, warmup, dict(cosine, begin=2, T_max=10))
    # named as --cfg-options takes it, the fix too
    with pytest.raises(
        ConfigError,
        match=r'^param_scheduler\.1: .* at 11 .*param_scheduler\.1\.T_max=10 ',
    ):
        schedule(epochs, warmup, dict(cosine, begin=2, T_max=9))
    # T_max from end, as mmengine takes it
    schedule(epochs, dict(cosine, end=12))
    # iterations under an iteration loop
    iters = dict(type='IterBasedTrainLoop', max_iters=100)
    schedule(iters, dict(cosine, by_epoch=False, T_max=100))
    with pytest.raises(ConfigError, match='at 50 iterations .* lasts 100'):
        schedule(iters, dict(cosine, by_epoch=False, T_max=50))
    # iterations under epochs: at least one an epoch
    with pytest.raises(ConfigError, match='convert_to_iter_based=True'):
        schedule(epochs, dict(cosine, by_epoch=False, T_max=5))
    schedule(epochs, dict(cosine, convert_to_iter_based=True, T_max=12))
    # a scheduler of other units than the loop's is left to mmengine
    schedule(iters, dict(cosine, T_max=1))
    # other schedulers stop at their end
    schedule(epochs, dict(type='LinearLR', end=2))


def test_a_cosine_in_iterations_is_checked_once_they_are_counted(tmp_path):
    """Before: 12 epochs of 4 iterations under a by_epoch=False cosine of
    T_max=12 trained with the learning rate swinging back 4 times, rc 0
    (before its loader is built a run is known to have one iteration an
    epoch only)."""
    from mmsamkd.engine.runner import MmsamkdRunner
    from mmsamkd.utils.training_settings import check_cosine_periods

    cfg = tiny_cfg(
        STUDENT_CFG,
        tmp_path,
        **{'train_cfg.max_epochs': 12, 'param_scheduler.by_epoch': False},
    )
    check_training_settings(cfg)  # 12 epochs may be 12 iterations
    check_cosine_periods(cfg, iterations=12)
    with pytest.raises(ConfigError, match="fewer than the run's 13 "):
        check_cosine_periods(cfg, iterations=13)
    runner = MmsamkdRunner.from_cfg(cfg)
    with pytest.raises(
        ConfigError,
        match=r'^param_scheduler: CosineAnnealingLR with by_epoch=False '
        r"counts T_max=12 in iterations, fewer than the run's 48 iterations",
    ):
        runner.train()
    assert runner.iter == 0


CIFAR_KD_CFG = f'{REPO}/configs/kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py'


def test_milestones_a_shortened_run_never_reaches_are_named(monkeypatch):
    """Before: a 240-epoch CIFAR config cut to 100 epochs never dropped
    its learning rate at 150, 180, 210, and nothing said so; the table
    showed only where its rate ended."""
    import logging

    from mmsamkd.utils import training_settings
    from mmsamkd.utils.training_settings import (
        late_milestones,
        late_milestones_note,
        warn_of_late_milestones,
    )

    cfg = Config.fromfile(CIFAR_KD_CFG)
    assert late_milestones(cfg) == []  # the shipped 240 epochs
    cfg.train_cfg.max_epochs = 180  # at 180 the run has ended
    assert late_milestones(cfg) == [
        ('param_scheduler', 'MultiStepLR', [180, 210], 180, 'epochs')
    ]
    assert late_milestones_note(cfg) == (
        'learning rate milestones 180, 210 not reached'
    )
    logged = []
    monkeypatch.setattr(
        training_settings,
        'print_log',
        lambda text, level=logging.INFO, **k: logged.append((text, level)),
    )
    warn_of_late_milestones(cfg)
    assert logged == [
        (
            'param_scheduler: MultiStepLR milestones 180, 210 lie at or past '
            "the run's 180 epochs: its learning rate is never changed there. "
            'Scale the milestones to the run to compare it with the full '
            'schedule.',
            logging.WARNING,
        )
    ]
    cfg.train_cfg.max_epochs = 181
    assert late_milestones_note(cfg) == (
        'learning rate milestones 210 not reached'
    )
    # counted from the scheduler's begin, in its own units, up to its end
    cfg.train_cfg.max_epochs = 90
    step = dict(type='MultiStepLR', milestones=[50, 85], begin=5)
    cfg.param_scheduler = [dict(type='LinearLR', end=5), step]
    assert late_milestones(cfg) == [
        ('param_scheduler.1', 'MultiStepLR', [85], 90, 'epochs')
    ]
    # milestone 85 at epoch 90: past the scheduler's own end, by design
    cfg.param_scheduler[1].end = 90
    assert late_milestones(cfg) == []
    cfg.param_scheduler = dict(
        type='MultiStepMomentum', milestones=[100], by_epoch=False
    )
    assert late_milestones(cfg) == []  # iterations under an epoch loop
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=100)
    assert late_milestones_note(cfg) == (
        'scheduled value milestones 100 not reached'
    )
    # one per optimizer wrapper (SAMKD's)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=10)
    cfg.param_scheduler = dict(
        architecture=dict(type='MultiStepLR', milestones=[5]),
        adversary=dict(type='MultiStepLR', milestones=[10]),
    )
    assert late_milestones_note(cfg) == (
        'adversary learning rate milestones 10 not reached'
    )


def test_train_py_logs_the_milestones_its_run_never_reaches(tmp_path):
    config = tmp_path / 'step_student.py'
    config.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\n'
        'param_scheduler = dict(_delete_=True, type="MultiStepLR", '
        'by_epoch=True, milestones=[1, 2])\n'
    )
    result = run_tool_in_process(
        'train.py', config, '--work-dir', tmp_path / 'run', *options_args({})
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (log,) = (tmp_path / 'run').glob('*/*.log')
    assert (
        'WARNING - param_scheduler: MultiStepLR milestones 1, 2 lie at or '
        "past the run's 1 epochs"
    ) in log.read_text()


def test_mmengine_fp16_wrapper_is_refused_without_a_gpu(monkeypatch):
    """Before: ``AmpOptimizerWrapper is only available training on gpu``,
    an AssertionError traceback; ``--amp`` is the way on a CPU."""
    from mmsamkd.utils import training_settings

    amp = {'optim_wrapper.type': 'AmpOptimWrapper'}
    monkeypatch.setattr(training_settings, 'get_device', lambda: 'cpu')
    with pytest.raises(ConfigError, match='pass --amp to tools/train.py'):
        settings(**amp)
    with pytest.raises(ConfigError, match=r'optim_wrapper\.adversary\.type='):
        settings(
            SAMKD_CFG,
            **{'optim_wrapper.adversary.type': 'mmengine.AmpOptimWrapper'},
        )
    # --amp's own wrapper, and fp16 where there is a GPU
    settings(**{'optim_wrapper.type': 'mmrazor.MixedPrecisionOptimWrapper'})
    monkeypatch.setattr(training_settings, 'get_device', lambda: 'cuda')
    settings(**amp)


def test_rotated_views_need_a_preprocessor_that_stacks_them():
    """Before: SSKD's views pipeline under MMPretrain's ClsDataPreprocessor
    stopped at its first batch in torch's conv2d (a 5-D input)."""
    from mmsamkd.utils.training_settings import check_views_preprocessor

    sskd = f'{REPO}/configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    check_views_preprocessor(Config.fromfile(sskd))
    check_views_preprocessor(Config.fromfile(STUDENT_CFG))  # no views
    cfg = Config.fromfile(sskd)
    cfg.model.data_preprocessor.type = 'mmpretrain.ClsDataPreprocessor'
    with pytest.raises(
        ConfigError,
        match=r'model\.data_preprocessor is mmpretrain\.ClsDataPreprocessor, '
        'which passes the stacks on',
    ):
        check_views_preprocessor(cfg)


MSMGAN_CFG = (
    f'{REPO}/configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


@pytest.mark.parametrize(
    'option, value, told',
    [
        # before: refused only when the SAMKD run was built (compare.py:
        # after its teachers had trained)
        (
            'optim_wrapper.optimizer.lr',
            0.1,
            'optim_wrapper.optimizer sits beside the optimizer entries of '
            "SAMKD-style algorithms ('architecture', 'adversary', "
            "'teacher'), where no optimizer reads it. Set it in the entry it "
            'is for (optim_wrapper.architecture.optimizer, optim_wrapper.'
            'adversary.optimizer).',
        ),
        (
            'optim_wrapper.accumulative_counts',
            2,
            'optim_wrapper.accumulative_counts sits beside',
        ),
        (
            'optim_wrapper.adversary.accumulative_counts',
            2,
            'optim_wrapper.adversary.accumulative_counts=2: the',
        ),
        (
            'optim_wrapper.paramwise_cfg.norm_decay_mult',
            0.0,
            'optim_wrapper.paramwise_cfg sits beside no optimizer',
        ),
    ],
)
def test_samkd_optimizer_entries_are_checked_before_the_build(
    option, value, told
):
    with pytest.raises(ConfigError, match=re.escape(told)):
        settings(SAMKD_CFG, **{option: value})


def test_samkd_optimizer_entries_that_build():
    settings(SAMKD_CFG)
    settings(MSMGAN_CFG)  # its optional teacher entry
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.optim_wrapper.pop('adversary')
    with pytest.raises(ConfigError, match=r"got \['architecture'\]: add "):
        check_training_settings(cfg)
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
    check_training_settings(cfg)  # another constructor's: not read here


def test_a_staged_method_without_its_stage_hook_is_refused(tmp_path):
    """Before: a SAMKD child config that added an EMAHook by
    ``custom_hooks = [...]`` replaced its base's list, and trained every
    adversarial pair at weight 1 from the start, rc 0 (MS-MGANs: end to
    end under its first snapshot)."""
    child = tmp_path / 'samkd_ema.py'
    child.write_text(
        f"_base_ = [{SAMKD_CFG!r}]\ncustom_hooks = [dict(type='EMAHook')]\n"
    )
    with pytest.raises(ConfigError) as error:
        settings(str(child))
    assert str(error.value).startswith(
        "custom_hooks holds no AdversarialStageHook, which plays SAMKD's "
        'adversarial stages: without it every pair (feat0, feat1, pooled, '
        'logits) would be active at weight 1 from the first iteration.'
    )
    with pytest.raises(ConfigError, match='^custom_hooks holds no MSMGANPh'):
        settings(MSMGAN_CFG, custom_hooks=[])
    # what the message advises keeps the stages
    child.write_text(
        f'_base_ = [{SAMKD_CFG!r}]\n'
        "custom_hooks = _base_.custom_hooks + [dict(type='EMAHook')]\n"
    )
    settings(str(child))
    settings(KD_CFG, custom_hooks=[])  # a method of no stages


def test_an_enabled_auto_scale_lr_needs_its_base_batch():
    """Before: an ``AssertionError`` (no ``base_batch_size``) or a
    ``ZeroDivisionError`` (0) traceback from MMEngine's Runner."""
    settings(**{'auto_scale_lr.base_batch_size': 0})  # not enabled
    settings(**{'auto_scale_lr.enable': False})
    for base, given in ((None, 'not set'), (0, '0'), (-64, '-64')):
        scaling = dict(enable=True)
        if base is not None:
            scaling['base_batch_size'] = base
        with pytest.raises(
            ConfigError,
            match=rf'^auto_scale_lr.enable=True .* base_batch_size is {given}'
            r'.* or drop enable \(tools/train.py and compare.py: '
            r'--auto-scale-lr\)\.$',
        ):
            settings(auto_scale_lr=scaling)
    settings(auto_scale_lr=dict(enable=True, base_batch_size=64))


def test_a_batch_other_than_the_config_names_is_told():
    """``..._8xb16_...`` on one GPU took steps of 16 at the rates tuned
    for 128, rc 0, not said anywhere."""
    from mmsamkd.utils.training_settings import recipe_batch_note

    name = 'configs/kd/kd_resnet50-mmpretrain_resnet18-mmpretrain_8xb16_c.py'
    cfg = Config(dict(train_dataloader=dict(batch_size=16)))
    assert recipe_batch_note(name, cfg, 1) == (
        'kd_resnet50-mmpretrain_resnet18-mmpretrain_8xb16_c.py is a recipe '
        'for 8 processes of 16 images (128 a step); this run takes 1 of 16 '
        "(16 a step) at the recipe's learning rates, so its accuracy is "
        "not the recipe's. Launch 8 processes (tools/dist_train.sh CONFIG "
        '8), or pass --auto-scale-lr to scale the learning rates to its '
        'batch.'
    )
    assert recipe_batch_note(name, cfg, 8) is None
    # the same 128 a step, or the rates scaled to the batch: nothing to say
    cfg32 = Config(dict(train_dataloader=dict(batch_size=32)))
    assert recipe_batch_note(name, cfg32, 4) is None
    assert 'takes 2 of 32 (64 a step)' in recipe_batch_note(name, cfg32, 2)
    one = recipe_batch_note('student_1xb64_fmnist.py', cfg, 2)
    assert one.startswith('student_1xb64_fmnist.py is a recipe for 1 process')
    assert 'Launch 1 process (tools/dist_train.sh CONFIG 1)' in one
    scaled = Config(
        dict(
            train_dataloader=dict(batch_size=16),
            auto_scale_lr=dict(enable=True, base_batch_size=128),
        )
    )
    assert recipe_batch_note(name, scaled, 1) is None
    # a name that gives no recipe
    assert recipe_batch_note('configs/my_student.py', cfg, 1) is None


def test_train_py_warns_of_another_batch_and_scales_on_request(tmp_path):
    config = tmp_path / 'student_2xb32_fmnist.py'
    config.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\n'
        'train_dataloader = dict(batch_size=32)\n'
        'auto_scale_lr = dict(base_batch_size=64)\n'
    )
    told = 'WARNING - student_2xb32_fmnist.py is a recipe for 2 processes'
    for flags, run in (((), 'plain'), (('--auto-scale-lr',), 'scaled')):
        result = run_tool_in_process(
            'train.py',
            config,
            '--work-dir',
            tmp_path / run,
            *flags,
            *options_args({}),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        (log,) = (tmp_path / run).glob('*/*.log')
        assert (told in log.read_text()) == (run == 'plain')
    record = json.loads((tmp_path / 'scaled' / 'run_config.json').read_text())
    assert record['lr_scale'] == 0.5  # 1 x 32 / 64
    # compare.py passes the flag to every run it trains, and says so
    root = tmp_path / 'compared'
    result = run_tool_in_process(
        'compare.py',
        '--work-dir-root',
        root,
        config,
        '--auto-scale-lr',
        *options_args({}),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = root / 'student_2xb32_fmnist'
    assert json.loads((run / 'run_config.json').read_text())['lr_scale'] == 0.5
    assert (
        'lr ×0.5 by auto_scale_lr' in (root / 'compare/results.md').read_text()
    )


def test_a_default_hook_set_to_none_is_removed(tmp_path):
    """Before: ``default_hooks.nonfinite=None`` (an entry mmsamkd's
    runtime adds) stopped in a bare ``AssertionError`` from MMEngine,
    which takes None as "remove" for its own defaults only."""
    from conftest import tiny_cfg
    from mmsamkd.engine.runner import MmsamkdRunner

    options = {
        'default_hooks.nonfinite': None,
        'default_hooks.rng_state': None,
        'default_hooks.checkpoint': None,  # one of MMEngine's own
    }
    cfg = tiny_cfg(STUDENT_CFG, tmp_path, **options)
    hooks = {type(h).__name__ for h in MmsamkdRunner.from_cfg(cfg).hooks}
    assert not hooks & {'NonFiniteGuardHook', 'RNGStateHook', 'CheckpointHook'}
    assert {'TeacherScoresHook', 'ParamSchedulerHook', 'LoggerHook'} <= hooks


def test_a_loader_without_a_sampler_to_build_is_refused():
    """Before: ``train_dataloader.sampler=None`` trained unshuffled (each
    process on every image), rc 0; a loader without the key stopped in
    MMEngine's ``KeyError`` traceback. A validation loader may read in
    order."""
    with pytest.raises(ConfigError, match=r'^train_dataloader.sampler=None'):
        settings(**{'train_dataloader.sampler': None})
    settings(**{'val_dataloader.sampler': None})
    cfg = Config.fromfile(STUDENT_CFG)
    del cfg.val_dataloader['sampler']
    with pytest.raises(
        ConfigError,
        match=r'^val_dataloader has no sampler, .*shuffle=False\)\.$',
    ):
        check_training_settings(cfg)


def test_validations_are_recorded_in_the_loops_unit():
    """Before: under an iteration loop MMEngine's LoggerHook recorded every
    validation at epoch 0, so compare.py kept the last as ``best`` and
    never saw the run finish; ``log_metric_by_epoch=False`` under an
    epoch loop recorded iterations it read as epochs (``epochs 8`` for 2)."""
    logger = 'default_hooks.logger.log_metric_by_epoch'
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=8)
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler')
    with pytest.raises(ConfigError, match='^' + logger + ' is True .* at '):
        check_training_settings(cfg)
    cfg.default_hooks.logger.log_metric_by_epoch = False
    check_training_settings(cfg)
    with pytest.raises(ConfigError, match='^' + logger + '=False under an'):
        settings(**{logger: False})
    settings(**{logger: True})
    # without validation there is nothing to record
    settings(**{logger: False, 'val_cfg': None})


def test_a_run_that_early_stopping_may_end_is_refused():
    """Before: a student child config with an EarlyStoppingHook stopped
    at epoch 2 of 6; a second compare.py call took it for interrupted,
    resumed it with the hook's patience reset and trained to epoch 4,
    its best top-1 going from 9.38 to 10.94, rc 0 both times."""
    stop = dict(type='mmengine.EarlyStoppingHook', monitor='accuracy/top1')
    for where, option in (
        ('custom_hooks.1', dict(custom_hooks=[dict(type='EMAHook'), stop])),
        ('default_hooks.stop', {'default_hooks.stop': stop}),
    ):
        with pytest.raises(
            ConfigError,
            match=rf'^{where} is an EarlyStoppingHook: .* Remove it: every '
            'run keeps its best checkpoint',
        ):
            settings(**option)
    settings(custom_hooks=[dict(type='EMAHook')])
