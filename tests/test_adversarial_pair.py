"""AdversarialPair as a module of its own: SAMKDAdversary's layout,
checkpoints of the earlier layout, and the pair's config checks."""

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import load_state_dict

from mmsamkd.errors import ConfigError
from mmsamkd.models.algorithms import AdversarialPair, SAMKDAdversary


def adversary(**options):
    with DefaultScope.overwrite_default_scope('mmrazor'):
        return SAMKDAdversary(
            pairs=dict(
                feat=dict(
                    student='s',
                    teacher='t',
                    channels=3,
                    student_channels=2,
                    **options,
                ),
                logits=dict(student='l', teacher='l', channels=4),
            ),
            discriminator=dict(type='MLPDiscriminator', hidden_channels=(5,)),
        )


def test_each_pair_owns_its_connector_and_discriminator():
    model = adversary()
    assert isinstance(model.pairs['feat'], AdversarialPair)
    assert model.pairs['logits'].connector is None
    assert list(model.connectors) == ['feat']
    assert list(model.discriminators) == ['feat', 'logits']
    assert model.discriminators['feat'] is model.pairs['feat'].discriminator
    assert model.recorders() == dict(feat=('s', 't'), logits=('l', 'l'))
    # the views hold the pairs' own modules: no parameter twice
    keys = list(model.state_dict())
    assert 'pairs.feat.connector.linear.weight' in keys
    assert not any(
        k.startswith(('connectors', 'discriminators')) for k in keys
    )


# the keys of the same adversary as checkpoints wrote them before the pairs
# were modules of their own
EARLIER_KEYS = {
    'connectors.feat.linear.weight': (3, 2),
    'connectors.feat.linear.bias': (3,),
    'discriminators.feat.layers.0.weight': (5, 3),
    'discriminators.feat.layers.0.bias': (5,),
    'discriminators.feat.layers.2.weight': (1, 5),
    'discriminators.feat.layers.2.bias': (1,),
    'discriminators.logits.layers.0.weight': (5, 4),
    'discriminators.logits.layers.0.bias': (5,),
    'discriminators.logits.layers.2.weight': (1, 5),
    'discriminators.logits.layers.2.bias': (1,),
}


def earlier_checkpoint(prefix=''):
    torch.manual_seed(3)
    return {prefix + k: torch.randn(s) for k, s in EARLIER_KEYS.items()}


@pytest.mark.parametrize('loader', ['torch', 'mmengine'])
def test_checkpoints_of_the_earlier_layout_load_strictly(loader):
    model = adversary()
    state = earlier_checkpoint()
    if loader == 'torch':
        model.load_state_dict(dict(state), strict=True)
    else:  # the Runner's load_checkpoint / resume path
        load_state_dict(model, dict(state), strict=True)
    feat, logits = model.pairs['feat'], model.pairs['logits']
    assert torch.equal(
        feat.connector.linear.weight, state['connectors.feat.linear.weight']
    )
    assert torch.equal(
        feat.discriminator.layers[2].bias,
        state['discriminators.feat.layers.2.bias'],
    )
    assert torch.equal(
        logits.discriminator.layers[0].weight,
        state['discriminators.logits.layers.0.weight'],
    )


def test_the_key_map_works_under_the_algorithms_prefix():
    holder = torch.nn.Module()
    holder.adversary = adversary()
    state = earlier_checkpoint('adversary.')
    holder.load_state_dict(dict(state), strict=True)
    assert torch.equal(
        holder.adversary.pairs['logits'].discriminator.layers[2].weight,
        state['adversary.discriminators.logits.layers.2.weight'],
    )


def test_a_misspelt_pair_option_is_refused_not_dropped():
    """Before, an unknown key in a pair config was ignored, and the run
    trained without the option the user meant."""
    with pytest.raises(
        ConfigError, match="unknown options \\['match_weigth'\\]"
    ):
        adversary(match_weigth=1.0)
    with pytest.raises(ConfigError, match="lacks \\['channels'\\]"):
        with DefaultScope.overwrite_default_scope('mmrazor'):
            SAMKDAdversary(pairs=dict(p=dict(student='s', teacher='t')))


@pytest.mark.parametrize('purpose', ['resume', 'test'])
def test_the_fit_check_sees_the_earlier_layout_as_loading_will(purpose):
    """Before, --resume of a checkpoint of the earlier layout stopped with
    '22 of its 262 weights are missing' though it loads."""
    from types import SimpleNamespace

    from mmsamkd.engine.hooks.checkpoint_fit_hook import CheckpointFitHook
    from mmsamkd.utils.teacher_checkpoint import upgraded_state_dict

    holder = torch.nn.Module()
    holder.adversary = adversary()
    state = earlier_checkpoint('adversary.')
    upgraded = upgraded_state_dict(holder, state)
    assert set(upgraded) == set(holder.state_dict())
    assert set(state) == {'adversary.' + k for k in EARLIER_KEYS}  # kept
    runner = SimpleNamespace(model=holder, _load_from='old.pth')
    hook = CheckpointFitHook('samkd.py', purpose=purpose)
    hook.after_load_checkpoint(runner, dict(state_dict=state))
