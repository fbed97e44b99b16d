"""MS-MGANs: block phases, teacher snapshots, the final and mutual phases."""

import ast
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import (
    REPO,
    clone_state,
    options_args,
    run_tool,
    tiny_cfg,
    training_flags,
)
from mmsamkd.errors import ConfigError

MSMGAN_CFG = osp.join(
    REPO, 'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def build(snapshots, without=(), **options):
    """The Fashion-MNIST config's algorithm and optim wrappers; ``without``:
    model keys to leave at their defaults."""
    from mmrazor.registry import OPTIM_WRAPPER_CONSTRUCTORS

    cfg = Config.fromfile(MSMGAN_CFG)
    for key in without:
        cfg.model.pop(key)
    cfg.model.teacher_snapshots = snapshots
    cfg.model.teacher_ckpt = snapshots[0]
    cfg.merge_from_dict(options)
    init_default_scope('mmpretrain')
    algorithm = MODELS.build(cfg.model)
    optim_cfg = dict(cfg.optim_wrapper)
    optim_cfg.pop('_delete_', None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=optim_cfg.pop('constructor'), optim_wrapper_cfg=optim_cfg)
    )
    return algorithm, constructor(algorithm)


def batch(n=8):
    torch.manual_seed(0)
    return dict(
        inputs=[torch.randint(0, 255, (1, 28, 28), dtype=torch.uint8)] * n,
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(n)],
    )


def changed(before, after):
    return {k for k in before if not torch.equal(before[k], after[k])}


def parameters(module):
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def snapshot_weights(path):
    return torch.load(path, weights_only=False)['state_dict']


def test_block_phase_trains_only_the_block_and_its_adapter(
    fmnist_teacher_snapshots,
):
    algorithm, optim = build(fmnist_teacher_snapshots)
    algorithm.train()
    for block in (1, 0):
        algorithm.set_phase(block, 0)
        before = parameters(algorithm)
        log = algorithm.train_step(batch(), optim)
        moved = changed(before, parameters(algorithm))
        allowed = (
            f'architecture.backbone.stages.{block}.',
            f'adversary.pairs.block{block}.connector.',
            f'adversary.pairs.block{block}.discriminator.',
        )
        if block == 0:
            allowed += ('architecture.backbone.stem.',)
        assert moved and all(k.startswith(allowed) for k in moved), moved
        assert any(k.startswith(allowed[0]) for k in moved)
        assert any(k.startswith(allowed[1]) for k in moved)
        assert f'adv.loss_g_block{block}' in log
        assert f'adv.loss_d_block{block}' in log


def test_block_phase_accumulates_gradients_as_its_wrapper_says(
    fmnist_teacher_snapshots,
):
    """Two batches at ``accumulative_counts=2`` take the step that one
    batch takes without it (the same batch twice, the discriminators
    frozen at lr 0): no step after the first, then the mean gradient."""
    frozen = {'optim_wrapper.adversary.optimizer.lr': 0.0}
    algorithm, optim = build(fmnist_teacher_snapshots, **frozen)
    accumulated, accumulating = build(
        fmnist_teacher_snapshots,
        **frozen,
        **{'optim_wrapper.architecture.accumulative_counts': 2},
    )
    accumulated.load_state_dict(algorithm.state_dict())
    accumulating['architecture'].initialize_count_status(accumulated, 0, 4)
    for model in (algorithm, accumulated):
        model.train()
        model.set_phase(1, 0)
    start = parameters(algorithm.architecture)
    algorithm.train_step(batch(), optim)
    accumulated.train_step(batch(), accumulating)
    assert not changed(start, parameters(accumulated.architecture))
    accumulated.train_step(batch(), accumulating)
    stepped = parameters(algorithm.architecture)
    moved = changed(start, stepped)
    assert moved
    assert all(k.startswith('backbone.stages.1.') for k in moved)
    for name, value in parameters(accumulated.architecture).items():
        torch.testing.assert_close(value, stepped[name], msg=name)


def test_final_phase_trains_the_whole_student_without_discriminators(
    fmnist_teacher_snapshots,
):
    # mutual left at its default: the teacher stays frozen
    algorithm, optim = build(fmnist_teacher_snapshots, without=('mutual',))
    algorithm.train()
    algorithm.set_phase(None, 2)
    assert not any(p.requires_grad for p in algorithm.teacher.parameters())
    modes = training_flags(algorithm)
    before = parameters(algorithm)
    log = algorithm.train_step(batch(), optim)
    # as training, so that a config's batch augments (Mixup...) apply
    assert modes == [True]
    moved = changed(before, parameters(algorithm))
    assert any(k.startswith('architecture.head.') for k in moved)
    assert any(k.startswith('architecture.backbone.stages.2') for k in moved)
    assert not any(k.startswith(('adversary.', 'teacher.')) for k in moved)
    assert 'distill.loss_kd' in log


def test_snapshots_switch_with_the_phase_and_only_then(
    fmnist_teacher_snapshots,
):
    algorithm, _ = build(fmnist_teacher_snapshots)
    key = 'head.fc.weight'
    for block, index in ((0, 0), (1, 1), (2, 2)):
        algorithm.set_phase(block, index)
        expected = snapshot_weights(fmnist_teacher_snapshots[index])[key]
        assert torch.equal(algorithm.teacher.state_dict()[key], expected)
        assert int(algorithm.snapshot_index) == index
    # the same snapshot again (the final phase) keeps the teacher as it is,
    # e.g. after a mutual fine-tuning
    with torch.no_grad():
        algorithm.teacher.head.fc.weight.add_(1.0)
    tuned = algorithm.teacher.head.fc.weight.clone()
    algorithm.set_phase(None, 2)
    assert torch.equal(algorithm.teacher.head.fc.weight, tuned)
    with pytest.raises(ConfigError, match='snapshot 3 is not one'):
        algorithm.set_phase(None, 3)
    # a first phase under another snapshot than teacher_ckpt's loads it
    fresh, _ = build(fmnist_teacher_snapshots)
    fresh.set_phase(0, 1)
    expected = snapshot_weights(fmnist_teacher_snapshots[1])[key]
    assert torch.equal(fresh.teacher.state_dict()[key], expected)
    with pytest.raises(ConfigError, match='block 5 is not one'):
        algorithm.set_phase(5, 0)
    # built for evaluation (tools/test.py): no phase may start
    cfg = Config.fromfile(MSMGAN_CFG)
    cfg.model.teacher_snapshots = cfg.model.teacher_ckpt = None
    evaluation_only = MODELS.build(cfg.model)
    with pytest.raises(ConfigError, match='training needs'):
        evaluation_only.set_phase(0, 0)


def test_mutual_final_phase_fine_tunes_the_teacher(fmnist_teacher_snapshots):
    optim_teacher = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
    algorithm, optim = build(
        fmnist_teacher_snapshots,
        **{
            'model.mutual': True,
            'optim_wrapper.teacher': optim_teacher,
        },
    )
    algorithm.train()
    algorithm.set_phase(None, 2)
    before = clone_state(algorithm.teacher)
    log = algorithm.train_step(batch(), optim)
    assert 'mutual.loss_teacher' in log
    after = algorithm.teacher.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_pairs_must_be_blocks(fmnist_teacher_snapshots):
    with pytest.raises(ConfigError, match='block0 .. block'):
        build(
            fmnist_teacher_snapshots,
            **{
                'model.adversary.pairs': dict(
                    logits=dict(
                        student='logits', teacher='logits', channels=10
                    )
                )
            },
        )


def test_every_phase_is_checked_before_the_first_epoch(
    fmnist_teacher_snapshots,
):
    """Before: a phase of a block or snapshot the run does not have
    stopped the run when that phase began, epochs in."""
    from types import SimpleNamespace

    from mmsamkd.engine.hooks.msmgan_phase_hook import MSMGANPhaseHook

    algorithm, _ = build(fmnist_teacher_snapshots)
    runner = SimpleNamespace(model=algorithm, epoch=0, max_epochs=4)
    for late, message in (
        (dict(block=3, snapshot=1), 'MS-MGANs phase 2 (begin=2) block 3 is'),
        (dict(block=1, snapshot=3), 'MS-MGANs phase 2 (begin=2) snapshot 3'),
    ):
        hook = MSMGANPhaseHook(
            [dict(begin=0, block=0, snapshot=0), dict(begin=2, **late)]
        )
        with pytest.raises(ConfigError, match=re.escape(message)):
            hook.before_train(runner)
    assert algorithm.block is None  # refused before any phase was set


@pytest.mark.slow
def test_runner_goes_through_every_phase(fmnist_teacher_snapshots, tmp_path):
    from mmengine.runner import Runner

    cfg = tiny_cfg(
        MSMGAN_CFG,
        tmp_path,
        **{
            'model.teacher_snapshots': fmnist_teacher_snapshots,
            'model.teacher_ckpt': fmnist_teacher_snapshots[0],
            'train_cfg.max_epochs': 4,
            'train_dataloader.dataset.indices': 128,
        },
    )
    runner = Runner.from_cfg(cfg)
    runner.train()
    log = next(tmp_path.glob('*/*.log')).read_text()
    for phase in (
        'phase 1/4 from epoch 0: block 0',
        'phase 2/4 from epoch 1: block 1',
        'phase 3/4 from epoch 2: block 2',
        'phase 4/4 from epoch 3: final phase',
    ):
        assert phase in log
    # the final phase ran under the last snapshot
    expected = snapshot_weights(fmnist_teacher_snapshots[2])
    teacher = runner.model.teacher.state_dict()
    assert all(torch.equal(teacher[k], expected[k]) for k in teacher)

    # tools/test.py evaluates the run's checkpoint with the shipped config,
    # whose teacher_snapshots do not exist here: the checkpoint holds the
    # teacher (before: "teacher snapshot ... does not exist")
    in_run = runner.test()['accuracy/top1']
    result = run_tool(
        'test.py',
        MSMGAN_CFG,
        tmp_path / 'epoch_4.pth',
        '--work-dir',
        tmp_path / 'test',
        *options_args({}),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert metrics['accuracy/top1'] == pytest.approx(in_run)


def test_phase_hook_follows_the_epoch_and_checks_its_phases(monkeypatch):
    """The phase in force from each phase's first epoch on, set once per
    change, set again when a (resumed) run starts; the schedule checked
    when the hook is built."""
    import logging
    from types import SimpleNamespace

    from mmsamkd.engine.hooks import msmgan_phase_hook, unplayed_stages
    from mmsamkd.engine.hooks.msmgan_phase_hook import MSMGANPhaseHook

    phases = [
        dict(begin=0, block=0, snapshot=0),
        dict(begin=2, block=1, snapshot=1),
        dict(begin=5, block=None, snapshot=2),
    ]
    hook = MSMGANPhaseHook(phases)
    assert [hook.phase_at(e) for e in range(7)] == [0, 0, 1, 1, 1, 2, 2]
    calls, logged = [], []
    model = SimpleNamespace(
        set_phase=lambda *a: calls.append(a),
        check_phase=lambda block, snapshot, where: None,
    )
    monkeypatch.setattr(
        msmgan_phase_hook, 'print_log', lambda text, **k: logged.append(text)
    )
    runner = SimpleNamespace(model=model, epoch=0, max_epochs=6)
    hook.before_train(runner)
    for epoch in range(6):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
    assert calls == [(0, 0), (1, 1), (None, 2)]
    assert logged == [
        'MS-MGANs phase 1/3 from epoch 0: block 0 against its '
        'discriminator, teacher snapshot 0',
        'MS-MGANs phase 2/3 from epoch 2: block 1 against its '
        'discriminator, teacher snapshot 1',
        'MS-MGANs phase 3/3 from epoch 5: final phase (whole student, '
        'CE + KD), teacher snapshot 2',
    ]
    runner.epoch = 3  # a run resumed in the second phase
    hook.before_train(runner)
    assert calls[-1] == (1, 1)
    # a schedule that ends before the final phase says so
    warned = []
    monkeypatch.setattr(
        unplayed_stages,
        'print_log',
        lambda text, **k: warned.append((text, k.get('level'))),
    )
    runner.max_epochs = 5
    hook.before_train(runner)
    assert warned == [
        (
            "MS-MGANs phase 3 of 3 begins at epoch 5, not before the run's "
            'last epoch (5): it will not be played, and the run ends in '
            'MS-MGANs phase 2 (block 1 against its discriminator, teacher '
            'snapshot 1). Lengthen the schedule or move the stages to '
            'compare it with the full method.',
            logging.WARNING,
        )
    ]
    for bad, message in (
        ([], 'start at epoch 0'),
        (phases[1:], 'start at epoch 0'),
        ([phases[0], phases[2], phases[1]], 'must increase'),
        ([phases[0], dict(phases[1], begin=0)], 'must increase'),
        ([phases[0], dict(begin=3, block=1)], 'names no teacher snapshot'),
    ):
        with pytest.raises(ConfigError, match=message):
            MSMGANPhaseHook(bad)
