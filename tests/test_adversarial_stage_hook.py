"""AdversarialStageHook: which pairs are on, by epoch or iteration; it and
MSMGANPhaseHook on a model they cannot drive."""

import os.path as osp
from types import SimpleNamespace

import pytest

from mmsamkd.engine import AdversarialStageHook, MSMGANPhaseHook
from mmsamkd.errors import ConfigError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SAMKD_FMNIST = (
    f'{REPO}/configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
MSMGAN_FMNIST = (
    f'{REPO}/configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def stage_model():
    """A stand-in for SAMKD that keeps the weights it is given and takes
    any pair name."""
    model = SimpleNamespace(weights=None)
    model.set_adversarial_weights = lambda w: setattr(model, 'weights', w)
    model.check_adversarial_weights = lambda weights, where: None
    return model


def test_stage_hook_switches_and_recomputes_on_resume():
    stages = [
        dict(begin=0),
        dict(begin=2, weights=dict(feat0=1.0)),
        dict(begin=4, weights=dict(feat0=1.0, logits=0.5)),
    ]
    hook = AdversarialStageHook(stages)
    model = stage_model()
    runner = SimpleNamespace(model=model, epoch=0, iter=0, max_epochs=6)
    seen = []
    hook.before_train(runner)
    for epoch in range(6):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        seen.append(dict(model.weights))
    assert seen == [
        {},
        {},
        {'feat0': 1.0},
        {'feat0': 1.0},
        {'feat0': 1.0, 'logits': 0.5},
        {'feat0': 1.0, 'logits': 0.5},
    ]
    # a fresh hook on a resumed runner lands in the right stage at once
    resumed = AdversarialStageHook(stages)
    runner.epoch, model.weights = 3, None
    resumed.before_train(runner)
    assert model.weights == {'feat0': 1.0}


def test_stage_hook_by_iteration_and_validation():
    hook = AdversarialStageHook(
        [dict(begin=0), dict(begin=10, weights=dict(logits=1.0))],
        by_epoch=False,
    )
    model = stage_model()
    runner = SimpleNamespace(model=model, epoch=0, iter=9, max_iters=20)
    hook.before_train(runner)
    assert model.weights == {}
    runner.iter = 10
    hook.before_train_iter(runner, 0)
    assert model.weights == {'logits': 1.0}
    with pytest.raises(ConfigError, match='begins at 0'):
        AdversarialStageHook([dict(begin=1)])
    with pytest.raises(ConfigError, match='increase'):
        AdversarialStageHook([dict(begin=0), dict(begin=3), dict(begin=2)])


def test_stages_a_short_schedule_never_reaches_are_named(monkeypatch):
    """Before: ``max_epochs=3`` under stages from epochs 2 and 4 trained
    without the logits discriminator, with nothing in the log to say so."""
    import logging

    from mmsamkd.engine.hooks import unplayed_stages

    logged = []
    monkeypatch.setattr(
        unplayed_stages,
        'print_log',
        lambda text, level=logging.INFO, **k: logged.append((text, level)),
    )
    stages = [
        dict(begin=0),
        dict(begin=2, weights=dict(feat0=1.0)),
        dict(begin=4, weights=dict(feat0=1.0, logits=0.5)),
        dict(begin=5, weights=dict(logits=0.5)),
    ]
    model = stage_model()

    def warnings_for(hook, **runner):
        logged.clear()
        hook.before_train(
            SimpleNamespace(model=model, epoch=0, iter=0, **runner)
        )
        return [text for text, level in logged if level == logging.WARNING]

    assert warnings_for(AdversarialStageHook(stages), max_epochs=4) == [
        'adversarial stages 3, 4 of 4 begin at epoch 4, 5, not before the '
        "run's last epoch (4): they will not be played, and the run ends in "
        'adversarial stage 2 (feat0x1). Lengthen the schedule or move the '
        'stages to '
        'compare it with the full method.'
    ]
    assert warnings_for(AdversarialStageHook(stages), max_epochs=6) == []
    by_iter = AdversarialStageHook(stages[:2], by_epoch=False)
    (told,) = warnings_for(by_iter, max_iters=2)
    assert 'adversarial stage 2 of 2 begins at iteration 2' in told
    assert 'it will not be played' in told
    assert 'ends in adversarial stage 1 (no discriminator)' in told
    assert warnings_for(by_iter, max_iters=3) == []


@pytest.mark.parametrize(
    'max_epochs, note',
    [
        (3, 'adversarial stages 3, 4 of 4 not played'),
        (5, 'adversarial stage 4 of 4 not played'),
        (6, 'adversarial stage 4 of 4 not played'),
        (7, ''),
    ],
)
def test_compare_tells_the_stages_a_run_of_a_config_never_plays(
    max_epochs, note
):
    """compare.py's table names them beside the schedule: a SAMKD run
    without its later discriminators is not the method it names."""
    from mmengine.config import Config

    from mmsamkd.engine.hooks.unplayed_stages import unplayed_in_config

    cfg = Config.fromfile(SAMKD_FMNIST)  # stages from epochs 2, 4 and 6
    cfg.train_cfg.max_epochs = max_epochs
    assert unplayed_in_config(cfg) == note
    # counted in iterations where the hook counts them
    cfg.custom_hooks[-1].update(by_epoch=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    assert unplayed_in_config(cfg) == 'adversarial stages 3, 4 of 4 not played'
    cfg = Config.fromfile(MSMGAN_FMNIST)  # phases from epochs 0 to 3
    cfg.train_cfg.max_epochs = 2
    assert unplayed_in_config(cfg) == 'MS-MGANs phases 3, 4 of 4 not played'
    assert unplayed_in_config(Config(dict(train_cfg=dict(max_epochs=1)))) == ''


def test_every_stage_is_checked_before_the_first_epoch():
    """Before: a misspelt pair in a later stage trained the earlier ones,
    then stopped the run when its stage began (rc 0 where the schedule
    ended first)."""
    from test_samkd import build_samkd

    model, _ = build_samkd()
    stages = [dict(begin=0), dict(begin=2, weights=dict(feat00=0.1))]
    runner = SimpleNamespace(model=model, epoch=0, iter=0, max_epochs=1)
    with pytest.raises(ConfigError) as error:
        AdversarialStageHook(stages).before_train(runner)
    assert str(error.value).startswith(
        "adversarial stage 2 (begin=2) names unknown pairs ['feat00']; the "
        "adversary has ['feat0', 'feat1', 'logits', 'pooled']"
    )
    stages[1]['weights'] = dict(feat0=0.1)
    AdversarialStageHook(stages).before_train(runner)
    assert model.adversarial_weights['feat0'] == 0


@pytest.mark.parametrize(
    'hook, algorithm',
    [
        (AdversarialStageHook([dict(begin=0)]), 'SAMKD'),
        (MSMGANPhaseHook([dict(begin=0, block=0, snapshot=0)]), 'MSMGAN'),
    ],
)
def test_a_stage_hook_on_another_algorithm_is_one_line(hook, algorithm):
    """Before: an AttributeError traceback (a SAMKD stage hook copied into
    an HSAKD config)."""
    import torch.nn as nn

    runner = SimpleNamespace(model=nn.Linear(1, 1), epoch=0, max_epochs=1)
    with pytest.raises(ConfigError) as error:
        hook.before_train(runner)
    assert str(error.value) == (
        f'{type(hook).__name__} in custom_hooks drives {algorithm}, and '
        f'this run trains a Linear. Remove the hook, or train a {algorithm} '
        'config.'
    )


def test_discrepancy_samples_no_stage_plays_are_refused():
    """Before: ``model.samples`` under stages that never weigh 'samples'
    trained without them, rc 0."""
    from test_samkd import build_samkd

    model, _ = build_samkd(**{'model.samples': dict(epsilon=0.1)})
    stages = [dict(begin=0), dict(begin=2, weights=dict(feat0=0.1))]
    runner = SimpleNamespace(model=model, epoch=0, iter=0, max_epochs=4)
    with pytest.raises(ConfigError, match="no adversarial stage weighs 'sa"):
        AdversarialStageHook(stages).before_train(runner)
    stages[1]['weights']['samples'] = 1.0  # played from epoch 2
    AdversarialStageHook(stages).before_train(runner)
    assert model.sample_weight == 0  # not yet, in stage 1
