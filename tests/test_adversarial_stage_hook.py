"""AdversarialStageHook: which pairs are on, by epoch or iteration."""

from types import SimpleNamespace

import pytest

from mmsamkd.engine import AdversarialStageHook
from mmsamkd.errors import ConfigError


def test_stage_hook_switches_and_recomputes_on_resume():
    stages = [
        dict(begin=0),
        dict(begin=2, weights=dict(feat0=1.0)),
        dict(begin=4, weights=dict(feat0=1.0, logits=0.5)),
    ]
    hook = AdversarialStageHook(stages)
    model = SimpleNamespace(weights=None)
    model.set_adversarial_weights = lambda w: setattr(model, 'weights', w)
    runner = SimpleNamespace(model=model, epoch=0, iter=0)
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
    model = SimpleNamespace(weights=None)
    model.set_adversarial_weights = lambda w: setattr(model, 'weights', w)
    runner = SimpleNamespace(model=model, epoch=0, iter=9)
    hook.before_train(runner)
    assert model.weights == {}
    runner.iter = 10
    hook.before_train_iter(runner, 0)
    assert model.weights == {'logits': 1.0}
    with pytest.raises(ConfigError, match='begins at 0'):
        AdversarialStageHook([dict(begin=1)])
    with pytest.raises(ConfigError, match='increase'):
        AdversarialStageHook([dict(begin=0), dict(begin=3), dict(begin=2)])
