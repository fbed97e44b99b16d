"""SAMKD the algorithm: two-optimizer train_step, non-finite guard, stage
weights, config errors, resume and DDP runs. Its parts have their own
files: test_adversarial_losses.py, test_discriminators.py,
test_adversarial_pair.py, test_adversarial_stage_hook.py."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import REPO, clone_state, tiny_cfg, training_flags
from mmsamkd.engine import SAMKDOptimWrapperConstructor
from mmsamkd.errors import ConfigError, NonFiniteLossError

SAMKD_CFG = osp.join(
    REPO, 'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


# ------------------------------------------------------------ train_step
def batch(n=4):
    torch.manual_seed(1)
    return dict(
        inputs=[
            torch.randint(0, 255, (1, 28, 28), dtype=torch.uint8)
            for _ in range(n)
        ],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(n)],
    )


def changed(before, module):
    """Keys whose values differ (NaN equals NaN: the guard test sets one)."""
    return {
        k
        for k, v in module.state_dict().items()
        if v.is_floating_point()
        and not torch.equal(v.nan_to_num(7.0), before[k].nan_to_num(7.0))
    }


def constructor_cfg():
    cfg = Config.fromfile(SAMKD_CFG).optim_wrapper
    cfg = {k: v for k, v in cfg.items() if k != 'constructor'}
    return cfg


def build_samkd(optim=None, **options):
    """The Fashion-MNIST SAMKD algorithm (``options`` merged into its
    config), in training mode, with its optimizers (``optim``: the
    constructor's entries, the config's by default)."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    cfg.merge_from_dict(options)
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    optim = optim or constructor_cfg()
    return algorithm, SAMKDOptimWrapperConstructor(optim)(algorithm)


@pytest.fixture
def samkd():
    return build_samkd()


def test_optimizers_split_student_side_and_discriminators(samkd):
    algorithm, wrappers = samkd
    student_side = {
        id(p)
        for g in wrappers['architecture'].param_groups
        for p in g['params']
    }
    adversary = {
        id(p) for g in wrappers['adversary'].param_groups for p in g['params']
    }
    assert not student_side & adversary
    assert {id(p) for p in algorithm.architecture.parameters()} <= student_side
    assert {id(p) for p in algorithm.adversary.connectors.parameters()} <= (
        student_side
    )
    assert {
        id(p) for p in algorithm.adversary.discriminators.parameters()
    } == adversary
    assert not {id(p) for p in algorithm.teacher.parameters()} & (
        student_side | adversary
    )
    assert type(wrappers['adversary'].optimizer).__name__ == 'Adam'


def test_discriminator_step_leaves_student_and_teacher(samkd, monkeypatch):
    algorithm, wrappers = samkd
    student, teacher = (
        clone_state(algorithm.architecture),
        clone_state(algorithm.teacher),
    )
    discs = clone_state(algorithm.adversary.discriminators)
    monkeypatch.setattr(
        wrappers['architecture'], 'update_params', lambda loss: None
    )  # only the discriminator step
    algorithm.train_step(batch(), wrappers)
    # BN running statistics move with any training forward; weights do not
    assert {
        k
        for k in changed(student, algorithm.architecture)
        if 'running' not in k
    } == set()
    assert not changed(teacher, algorithm.teacher)
    assert changed(discs, algorithm.adversary.discriminators)


def test_student_step_leaves_discriminators_and_teacher(samkd, monkeypatch):
    algorithm, wrappers = samkd
    student, teacher = (
        clone_state(algorithm.architecture),
        clone_state(algorithm.teacher),
    )
    discs = clone_state(algorithm.adversary.discriminators)
    connectors = clone_state(algorithm.adversary.connectors)
    monkeypatch.setattr(
        wrappers['adversary'], 'update_params', lambda loss: None
    )  # only the student step
    log = algorithm.train_step(batch(), wrappers)
    assert not changed(discs, algorithm.adversary.discriminators)
    assert not changed(teacher, algorithm.teacher)
    moved = changed(student, algorithm.architecture)
    assert any('backbone' in k for k in moved)
    assert any('ss_branches' in k for k in moved)
    assert changed(connectors, algorithm.adversary.connectors)
    assert {f'adv.loss_g_{n}' for n in ('feat0', 'feat1', 'logits')} <= set(
        log
    )


def test_student_side_accumulates_as_its_wrapper_says():
    """Two batches at ``accumulative_counts=2`` take the step that one
    batch takes without it (the same batch twice, the discriminators
    frozen at lr 0)."""
    optim = constructor_cfg()
    optim['adversary']['optimizer']['lr'] = 0.0
    algorithm, wrappers = build_samkd(optim)
    optim['architecture']['accumulative_counts'] = 2
    accumulated, accumulating = build_samkd(optim)
    accumulated.load_state_dict(algorithm.state_dict())
    accumulating['architecture'].initialize_count_status(accumulated, 0, 4)
    start = clone_state(algorithm.architecture)
    algorithm.train_step(batch(), wrappers)
    accumulated.train_step(batch(), accumulating)
    assert not {
        k
        for k in changed(start, accumulated.architecture)
        if 'running' not in k and 'num_batches' not in k
    }
    accumulated.train_step(batch(), accumulating)
    stepped = dict(algorithm.named_parameters())
    assert changed(start, algorithm.architecture)
    for name, value in accumulated.named_parameters():
        torch.testing.assert_close(value, stepped[name], msg=name)


def test_discriminators_refuse_to_accumulate():
    optim = constructor_cfg()
    optim['adversary']['accumulative_counts'] = 2
    with pytest.raises(ConfigError, match=r'adversary.accumulative_counts=2'):
        build_samkd(optim)


def test_logged_loss_is_the_students_total(samkd):
    # The discriminators' total once overwrote 'loss' in the log.
    algorithm, wrappers = samkd
    log = algorithm.train_step(batch(), wrappers)
    d_terms = {k: v for k, v in log.items() if k.startswith('adv.loss_d_')}
    student_terms = {
        k: v
        for k, v in log.items()
        if 'loss' in k and k not in ('loss', 'adv.loss_d') and k not in d_terms
    }
    assert {
        'student.loss_cls',
        'distill.loss_branch1',
        'adv.loss_g_logits',
    } <= (set(student_terms))
    assert len(d_terms) == 4
    assert float(log['loss']) == pytest.approx(
        sum(float(v) for v in student_terms.values()), rel=1e-5
    )
    assert float(log['adv.loss_d']) == pytest.approx(
        sum(float(v) for v in d_terms.values()), rel=1e-5
    )
    assert float(log['loss']) != pytest.approx(float(log['adv.loss_d']))


def test_batch_is_preprocessed_as_training(samkd):
    """So that a config's batch augments (Mixup, CutMix) apply."""
    algorithm, wrappers = samkd
    modes = training_flags(algorithm)
    algorithm.train_step(batch(), wrappers)
    assert modes == [True]


def frozen_updates(wrappers, monkeypatch):
    """No optimizer moves a weight; each wrapper counts its updates."""
    counts = {}
    for name in ('architecture', 'adversary'):
        counts[name] = 0

        def count(loss, name=name):
            counts[name] += 1

        monkeypatch.setattr(wrappers[name], 'update_params', count)
    return counts


def test_generator_terms_carry_the_stage_weight(samkd, monkeypatch):
    algorithm, wrappers = samkd
    frozen_updates(wrappers, monkeypatch)
    logged = {}
    for weight in (1.0, 0.25):
        # same weights, same batch: only the stage weight differs
        algorithm.set_adversarial_weights(dict(logits=weight))
        logged[weight] = float(
            algorithm.train_step(batch(), wrappers)['adv.loss_g_logits']
        )
    assert logged[1.0] > 0
    assert logged[0.25] == pytest.approx(0.25 * logged[1.0], rel=1e-5)
    # and multiply it: a pair's generator loss fixed at 0.5 logs 0.5 x w
    from mmsamkd.models.losses.adversarial_loss import AdversarialLoss

    monkeypatch.setattr(
        AdversarialLoss, 'forward', lambda self, fake: fake.sum() * 0 + 0.5
    )
    algorithm.set_adversarial_weights(dict(logits=0.25))
    fixed = algorithm.train_step(batch(), wrappers)['adv.loss_g_logits']
    assert float(fixed) == pytest.approx(0.125)


@pytest.mark.parametrize('steps', [1, 3])
def test_discriminators_take_discriminator_steps_updates(
    samkd, monkeypatch, steps
):
    algorithm, wrappers = samkd
    counts = frozen_updates(wrappers, monkeypatch)
    algorithm.discriminator_steps = steps
    algorithm.set_adversarial_weights(dict(logits=1.0))
    algorithm.train_step(batch(), wrappers)
    assert counts == dict(architecture=1, adversary=steps)


def test_one_discriminator_step_by_default():
    """The shipped configs all set it; a user's own config gets 1."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.pop('discriminator_steps')
    assert MODELS.build(cfg.model).discriminator_steps == 1


def test_inactive_pairs_cost_nothing(samkd):
    algorithm, wrappers = samkd
    algorithm.set_adversarial_weights({})
    discs = clone_state(algorithm.adversary.discriminators)
    log = algorithm.train_step(batch(), wrappers)
    # only the matching terms, which are on in every stage
    assert {k for k in log if k.startswith('adv.')} == {
        f'adv.loss_match_{n}' for n in algorithm.matched_pairs
    }
    assert not changed(discs, algorithm.adversary.discriminators)


def test_nonfinite_loss_raises_with_name_and_iteration(samkd):
    algorithm, wrappers = samkd
    with torch.no_grad():
        algorithm.architecture.head.fc.bias.fill_(float('nan'))
    with pytest.raises(
        NonFiniteLossError,
        match='non-finite loss at iteration .*student.loss_cls=nan',
    ):
        algorithm.train_step(batch(), wrappers)


def test_nonfinite_loss_skip_policy_keeps_weights(samkd):
    algorithm, wrappers = samkd
    algorithm.nonfinite = 'skip'
    with torch.no_grad():
        algorithm.architecture.head.fc.bias.fill_(float('nan'))
    before = clone_state(algorithm.architecture)
    algorithm.train_step(batch(), wrappers)
    weights = {
        k
        for k in changed(before, algorithm.architecture)
        if 'running' not in k and 'num_batches' not in k
    }
    assert weights == set()


def test_ssgan_variant_trains_the_rotation_heads():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(
        SAMKD_CFG.replace('samkd_resnet14', 'study/samkd-ssgan_resnet14')
    )
    cfg.model.teacher_ckpt = None
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    wrappers = SAMKDOptimWrapperConstructor(constructor_cfg())(algorithm)
    algorithm.set_adversarial_weights(dict(feat1=0.1))
    heads = algorithm.adversary.discriminators
    before = clone_state(algorithm.adversary)
    log = algorithm.train_step(batch(3), wrappers)
    moved = changed(before, algorithm.adversary)
    # only the active pair's discriminator, rotation head included, learns
    assert 'pairs.feat1.discriminator.rotation_head.weight' in moved
    assert not any(k.startswith('pairs.feat0.') for k in moved)
    assert heads['feat1'].rotation_head.out_features == 4
    assert {'adv.loss_d_feat1', 'adv.loss_g_feat1'} <= set(log)
    cfg.model.adversary.pairs.feat0.rotation.num_rotations = 2
    with pytest.raises(ConfigError, match='student sees 4 rotated views'):
        MODELS.build(cfg.model)


def test_conditional_samkd_passes_the_joint_labels(monkeypatch):
    algorithm, wrappers = build_samkd(
        **{'model.adversary.pairs.feat1.num_classes': 40}
    )
    algorithm.set_adversarial_weights(dict(feat1=0.1))
    disc = algorithm.adversary.discriminators['feat1']
    seen = []
    monkeypatch.setattr(
        disc.embed, 'forward', lambda y: seen.append(y) or y[:, None] * 0.0
    )
    data = batch(3)
    algorithm.train_step(data, wrappers)
    # 3 images x 4 rotations, image-major: 4y + k; discriminator step
    # (real, fake) and student step
    expected = torch.tensor(
        [4 * (i % 10) + k for i in range(3) for k in range(4)]
    )
    assert len(seen) == 3
    assert all(torch.equal(y, expected) for y in seen)


def test_a_seed_starts_samkd_from_hsakds_student():
    """Building the adversary draws on a stream of its own, so SAMKD's and
    HSAKD's runs of one seed start from the same student (a paired
    comparison), whatever the adversary holds."""
    init_default_scope('mmpretrain')

    def student(path, **options):
        cfg = Config.fromfile(path)
        cfg.model.teacher_ckpt = None
        cfg.merge_from_dict(options)
        torch.manual_seed(3)
        algorithm = MODELS.build(cfg.model)
        algorithm.init_weights()
        return algorithm.architecture.state_dict()

    hsakd = student(
        osp.join(
            REPO,
            'configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        )
    )
    for options in (
        {},
        {'model.adversary.discriminator.hidden_channels': (512, 64)},
    ):
        samkd = student(SAMKD_CFG, **options)
        assert samkd.keys() == hsakd.keys()
        assert all(torch.equal(samkd[k], hsakd[k]) for k in hsakd)


def test_matched_pairs_train_in_every_stage(samkd):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    # a weight below 1 too: every weight above 0 matches
    for name, weight in dict(feat0=0.0, feat1=0.5, pooled=0.0).items():
        cfg.model.adversary.pairs[name].match_weight = weight
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    wrappers = SAMKDOptimWrapperConstructor(constructor_cfg())(algorithm)
    algorithm.set_adversarial_weights({})  # warm-up: no discriminator
    discs = clone_state(algorithm.adversary.discriminators)
    connectors = clone_state(algorithm.adversary.connectors)
    log = algorithm.train_step(batch(), wrappers)
    assert [k for k in log if k.startswith('adv.')] == ['adv.loss_match_feat1']
    assert not changed(discs, algorithm.adversary.discriminators)
    assert {
        k.split('.')[0]
        for k in changed(connectors, algorithm.adversary.connectors)
    } == {'feat1'}


def test_bad_adversary_configs_are_clear_errors():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.adversary.pairs.feat0.student = 'nope'
    with pytest.raises(ConfigError, match="reads recorder 'nope'"):
        MODELS.build(cfg.model)
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    algorithm = MODELS.build(cfg.model)
    with pytest.raises(ConfigError, match='unknown pairs'):
        algorithm.set_adversarial_weights({'feat9': 1.0})
    with pytest.raises(ConfigError, match='needs optim_wrapper entries'):
        SAMKDOptimWrapperConstructor(
            dict(architecture=dict(optimizer=dict(type='SGD', lr=0.1)))
        )
    # before: 2.5 stopped the first discriminator step in a TypeError
    for steps in (0, 2.5, True):
        cfg.model.discriminator_steps = steps
        with pytest.raises(
            ConfigError,
            match=rf'whole number of at least 1, got {steps!r}$',
        ):
            MODELS.build(cfg.model)


def test_pair_widths_are_read_from_the_recorded_layers():
    """A config may leave out channels and student_channels where the
    recorders read a Linear (or Conv2d) layer: the built adversary is the
    one the explicit widths build, bit for bit."""
    init_default_scope('mmpretrain')
    adversaries = []
    for explicit in (True, False):
        cfg = Config.fromfile(SAMKD_CFG)
        cfg.model.teacher_ckpt = None
        if not explicit:
            for pair in cfg.model.adversary.pairs.values():
                pair.pop('channels')
                pair.pop('student_channels', None)
        torch.manual_seed(0)
        adversaries.append(MODELS.build(cfg.model).adversary)
    explicit, derived = adversaries
    # branch features: the fcs' inputs (64 teacher, 16 student); logits:
    # the head's outputs (10 classes)
    assert derived.pairs['feat0'].widths == (16, 64)
    assert derived.pairs['logits'].widths == (10, 10)
    a, b = explicit.state_dict(), derived.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_width_that_cannot_be_read_must_be_given():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    # the stem's first conv (16 out) is readable; the whole stem is not
    recorders = cfg.model.distiller.teacher_recorders
    recorders.conv = dict(type='ModuleOutputs', source='backbone.stem.0')
    recorders.stem = dict(type='ModuleOutputs', source='backbone.stem')
    cfg.model.distiller.student_recorders.conv = dict(
        type='ModuleOutputs', source='backbone.stem.0'
    )
    cfg.model.adversary.pairs.conv = dict(student='conv', teacher='conv')
    algorithm = MODELS.build(cfg.model)
    assert algorithm.adversary.pairs['conv'].widths == (4, 16)
    cfg.model.adversary.pairs.stem = dict(student='conv', teacher='stem')
    with pytest.raises(ConfigError, match="lacks \\['channels'\\].*Conv2d"):
        MODELS.build(cfg.model)


# --------------------------------------------------------- Runner, slow
def samkd_tiny(work_dir, teacher_ckpt, **options):
    stages = [
        dict(begin=0),
        dict(begin=1, weights=dict(feat0=1.0)),
        dict(begin=3, weights=dict(feat0=1.0, logits=1.0)),
    ]
    merged = {
        'model.teacher_ckpt': teacher_ckpt,
        'train_cfg.max_epochs': 4,
        'train_dataloader.dataset.indices': 64,
        'val_dataloader.dataset.indices': 64,
        'train_dataloader.dataset.pipeline': [dict(type='PackInputs')],
        'custom_hooks': [
            dict(type='mmrazor.AdversarialStageHook', stages=stages)
        ],
    }
    merged.update(options)
    return tiny_cfg(SAMKD_CFG, work_dir, **merged)


@pytest.mark.slow
def test_resume_in_stage_two_reproduces_uninterrupted_run(
    fmnist_ssa_teacher_ckpt, tmp_path
):
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    class Interrupt(Hook):
        priority = 'LOWEST'

        def after_train_epoch(self, runner):
            if runner.epoch + 1 >= 2:  # stop in stage 2 (epochs 1 and 2)
                runner.train_loop.stop_training = True

    straight = Runner.from_cfg(
        samkd_tiny(tmp_path / 'a', fmnist_ssa_teacher_ckpt)
    )
    straight.train()
    interrupted = Runner.from_cfg(
        samkd_tiny(tmp_path / 'b', fmnist_ssa_teacher_ckpt)
    )
    interrupted.register_hook(Interrupt())
    interrupted.train()
    assert interrupted.epoch == 2
    cfg = samkd_tiny(tmp_path / 'b', fmnist_ssa_teacher_ckpt)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.model.adversarial_weights['logits'] == 1.0
    for part in ('architecture', 'adversary'):
        expected = getattr(straight.model, part).state_dict()
        for key, value in getattr(resumed.model, part).state_dict().items():
            assert torch.equal(value, expected[key]), (part, key)
    # the resumed launch's own log: it re-entered stage 2 where it stopped
    resumed_log = sorted((tmp_path / 'b').glob('2*/2*.log'))[-1].read_text()
    assert 'adversarial stage 2/3 from epoch 2' in resumed_log


@pytest.mark.parametrize(
    'option, message',
    [
        (
            'model.adversary.pairs.feat1.student_channels',
            "'feat1': the student recorder 'feat1' gives 16 channels, but "
            'the pair says student_channels=32: set student_channels=16',
        ),
        (
            'model.adversary.pairs.logits.channels',
            "'logits': the teacher recorder 'logits' gives 10 channels, but "
            'the pair says channels=32: set channels=10',
        ),
    ],
)
def test_pair_widths_that_do_not_fit_stop_the_first_step(
    option, message, tmp_path
):
    """Before: the run trained until that pair's stage began (epoch 3 or
    7 of the shipped config), then stopped in a matmul error."""
    from mmengine.runner import Runner

    cfg = tiny_cfg(SAMKD_CFG, tmp_path, **{option: 32})
    cfg.model.teacher_ckpt = None
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ConfigError) as error:
        runner.train()
    assert message in str(error.value)
    assert runner.iter == 0
    # the tiny run's one epoch plays no adversarial stage: its log says so
    log = next(tmp_path.glob('2*/2*.log')).read_text()
    assert (
        'WARNING - adversarial stages 2, 3, 4 of 4 begin at epoch 2, 4, 6, '
        "not before the run's last epoch (1)" in log
    )
