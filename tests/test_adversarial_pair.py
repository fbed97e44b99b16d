"""AdversarialPair: SAMKDAdversary's layout, checkpoints of the earlier
layout, the pair's config checks, and each pair option's losses and
gradients by hand (matching-aware pairs: test_matching_aware_pair.py)."""

import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import load_state_dict

from mmsamkd.errors import ConfigError
from mmsamkd.models.algorithms import AdversarialPair, SAMKDAdversary


def softplus(x):
    return math.log1p(math.exp(x))


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
    runner = SimpleNamespace(
        model=holder, _load_from='old.pth', param_schedulers=None
    )
    hook = CheckpointFitHook('samkd.py', purpose=purpose)
    # a checkpoint a run saved: its optimizer state beside the weights
    hook.after_load_checkpoint(runner, dict(state_dict=state, optimizer={}))


# ------------------------------------------------ pair options by hand
def linear_adversary(**pair):
    """An adversary whose one discriminator is a single linear layer."""
    from mmengine.registry import DefaultScope

    from mmsamkd.models.algorithms import SAMKDAdversary

    with DefaultScope.overwrite_default_scope('mmrazor'):
        adversary = SAMKDAdversary(
            pairs=dict(p=dict(student='s', teacher='t', **pair)),
            discriminator=dict(type='MLPDiscriminator', hidden_channels=()),
        )
    return adversary, adversary.discriminators['p'].layers[0]


def test_match_term_hand_value_and_gradients():
    adversary, _ = linear_adversary(
        channels=2, student_channels=1, match_weight=0.5
    )
    connector = adversary.connectors['p'].linear
    with torch.no_grad():
        connector.weight.copy_(torch.tensor([[2.0], [-1.0]]))
        connector.bias.copy_(torch.tensor([0.5, 0.0]))
    student = torch.tensor([[1.0], [3.0]], requires_grad=True)
    teacher = torch.tensor([[2.0, 0.0], [6.0, -4.0]], requires_grad=True)
    losses = adversary(dict(p=(student, teacher)), adversarial=())
    assert set(losses) == {'loss_match_p'}
    # connected student: [[2.5, -1], [6.5, -3]]; squared errors
    # 0.25, 1, 0.25, 1 -> mean 0.625, weighted 0.3125
    assert float(losses['loss_match_p']) == pytest.approx(0.3125)
    losses['loss_match_p'].backward()
    assert student.grad.abs().sum() > 0
    assert connector.weight.grad.abs().sum() > 0
    assert teacher.grad is None
    both = adversary(dict(p=(student, teacher)))
    assert set(both) == {'loss_g_p', 'loss_match_p'}


def test_joint_view_pair_scores_softmax_of_all_views():
    adversary, linear = linear_adversary(channels=2, tau=2.0, views=2)
    assert linear.in_features == 4
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -1.0, 2.0, 0.0]]))
        linear.bias.zero_()
    # 2 images x 2 views of 2-class logits, image-major
    student = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 0.0]])
    teacher = torch.zeros(4, 2)

    def score(rows):  # softmax(x / 2) of both views side by side
        p = [
            [math.exp(a / 2) / (math.exp(a / 2) + math.exp(b / 2))]
            for a, b in rows
        ]
        q = [[v[0], 1 - v[0]] for v in p]
        flat = q[0] + q[1]
        return sum(w * x for w, x in zip((1.0, -1.0, 2.0, 0.0), flat))

    fake = [score(student[0:2].tolist()), score(student[2:4].tolist())]
    expected = sum(softplus(-f) for f in fake) / 2  # non-saturating BCE
    losses = adversary(dict(p=(student, teacher)))
    assert float(losses['loss_g_p']) == pytest.approx(expected, rel=1e-5)
    real = score([[0.0, 0.0], [0.0, 0.0]])
    d_expected = softplus(-real) + sum(softplus(f) for f in fake) / 2
    d_losses = adversary(dict(p=(student, teacher)), mode='discriminator')
    assert float(d_losses['loss_d_p']) == pytest.approx(d_expected, rel=1e-5)
    with pytest.raises(ValueError, match='groups 2 views per image'):
        adversary(dict(p=(student[:3], teacher[:3])))
    with pytest.raises(ConfigError, match='views must be at least 1'):
        linear_adversary(channels=2, views=0)


def test_joint_view_pair_groups_rows_image_major():
    """Row ``2i + k`` is view k of image i: 3 images of 2 views, so that a
    view-major reading pairs other rows."""
    adversary, linear = linear_adversary(channels=1, views=2)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, 3.0]]))
        linear.bias.zero_()
    student = torch.tensor([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6]])
    # image i scores view 0 + 3 x view 1
    fake = [0.1 + 3 * 0.2, 0.3 + 3 * 0.4, 0.5 + 3 * 0.6]
    losses = adversary(dict(p=(student, torch.zeros(6, 1))))
    expected = sum(softplus(-f) for f in fake) / 3
    assert float(losses['loss_g_p']) == pytest.approx(expected, rel=1e-6)


def patch_adversary(**pair):
    """A spatial pair whose discriminator is one 1x1 convolution."""
    from mmengine.registry import DefaultScope

    from mmsamkd.models.algorithms import SAMKDAdversary

    with DefaultScope.overwrite_default_scope('mmrazor'):
        return SAMKDAdversary(
            pairs=dict(
                p=dict(
                    student='s',
                    teacher='t',
                    spatial=True,
                    discriminator=dict(
                        type='PatchDiscriminator', hidden_channels=()
                    ),
                    **pair,
                )
            )
        )


def test_patch_pair_hand_values_and_gradients():
    adversary = patch_adversary(channels=2, student_channels=1)
    conv = adversary.discriminators['p'].layers[0]
    connector = adversary.connectors['p'].conv_module.conv
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -2.0]).view(1, 2, 1, 1))
        conv.bias.fill_(0.5)
        connector.weight.copy_(torch.tensor([2.0, 1.0]).view(2, 1, 1, 1))
        connector.bias.copy_(torch.tensor([0.0, -1.0]))
    # one image, 1 x 2 map; student channel s -> (2s, s - 1)
    student = torch.tensor([[[[1.0, -0.5]]]], requires_grad=True)
    teacher = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]])
    # scores: 2s - 2(s - 1) + 0.5 = 2.5 at both positions (the connector
    # cancels); teacher: 1 + 0.5 = 1.5 and 0 - 2 + 0.5 = -1.5
    g = adversary(dict(p=(student, teacher)))['loss_g_p']
    assert float(g.detach()) == pytest.approx(softplus(-2.5))
    d = adversary(dict(p=(student, teacher)), mode='discriminator')
    expected = (softplus(-1.5) + softplus(1.5)) / 2 + softplus(2.5)
    assert float(d['loss_d_p'].detach()) == pytest.approx(expected)
    g.backward()
    # the connector cancels the student here, so only it learns
    assert torch.equal(student.grad, torch.zeros_like(student))
    assert connector.weight.grad.abs().sum() > 0
    with torch.no_grad():
        connector.weight.copy_(torch.tensor([3.0, 1.0]).view(2, 1, 1, 1))
    student.grad = None
    adversary(dict(p=(student, teacher)))['loss_g_p'].backward()
    # d score / d s = 3 - 2 = 1 at each position; d softplus(-x) / dx =
    # -sigmoid(-x); the mean over 2 positions halves it
    scores = 3 * student.detach() - 2 * (student.detach() - 1) + 0.5
    assert torch.allclose(student.grad, -torch.sigmoid(-scores) / 2)


def test_patch_pair_errors_and_frozen_connector():
    adversary = patch_adversary(channels=2, student_channels=1)
    with pytest.raises(ValueError, match='maps .N, C, H, W. of one size'):
        adversary(dict(p=(torch.rand(1, 1, 2, 2), torch.rand(1, 2, 3, 3))))
    with pytest.raises(ConfigError, match='views and tau apply to logits'):
        patch_adversary(channels=2, views=2)
    frozen, _ = linear_adversary(
        channels=2, student_channels=1, frozen_connector=True
    )
    student = torch.rand(3, 1, requires_grad=True)
    frozen(dict(p=(student, torch.rand(3, 2))))['loss_g_p'].backward()
    assert student.grad.abs().sum() > 0
    linear = frozen.connectors['p'].linear
    assert not linear.weight.requires_grad and linear.weight.grad is None
    with pytest.raises(ConfigError, match='has no connector'):
        linear_adversary(channels=2, frozen_connector=True)


def test_conditional_pair_projection_hand_values_and_gradients():
    adversary, linear = linear_adversary(channels=2, num_classes=3)
    embed = adversary.discriminators['p'].embed
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -1.0]]))
        linear.bias.fill_(0.5)
        embed.weight.copy_(torch.tensor([[0.0, 0.0], [2.0, 1.0], [0, -3]]))
    student = torch.tensor([[1.0, 2.0], [0.5, 0.5]], requires_grad=True)
    teacher = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([1, 2])
    # score = w.x + b + e_y.x: student (-1 + 0.5 + 4, 0 + 0.5 - 1.5)
    fake = (3.5, -1.0)
    # teacher (1 + 0.5 + 2, -1 + 0.5 - 3)
    real = (3.5, -3.5)
    g = adversary(dict(p=(student, teacher)), labels=labels)['loss_g_p']
    assert float(g.detach()) == pytest.approx(
        sum(softplus(-f) for f in fake) / 2
    )
    d = adversary(
        dict(p=(student, teacher)), mode='discriminator', labels=labels
    )['loss_d_p']
    assert float(d.detach()) == pytest.approx(
        sum(softplus(-r) for r in real) / 2
        + sum(softplus(f) for f in fake) / 2
    )
    g.backward()
    # d score / d x = w + e_y; d softplus(-f) / df = -sigmoid(-f), over 2
    slope = torch.tensor([[3.0, 0.0], [1.0, -4.0]])
    weight = -torch.sigmoid(-torch.tensor(fake))[:, None] / 2
    assert torch.allclose(student.grad, slope * weight)
    with pytest.raises(ValueError, match='needs a label per row'):
        adversary(dict(p=(student, teacher)))
    with pytest.raises(ConfigError, match='one row per label'):
        linear_adversary(channels=2, num_classes=3, views=2)


def test_rotation_pair_hand_values_and_gradients():
    adversary, linear = linear_adversary(
        channels=2, rotation=dict(num_rotations=2, g_weight=0.5)
    )
    head = adversary.discriminators['p'].rotation_head
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -1.0]]))
        linear.bias.zero_()
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        head.bias.zero_()
    # 2 images x 2 rotations, image-major: rotation targets 0, 1, 0, 1
    student = torch.tensor(
        [[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 0.0]], requires_grad=True
    )
    teacher = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])

    def rotation_ce(rows):  # head logits (a, 2b); mean CE of targets
        total = 0.0
        for i, (a, b) in enumerate(rows):
            logits = (a, 2 * b)
            norm = math.log(sum(math.exp(v) for v in logits))
            total += norm - logits[i % 2]
        return total / len(rows)

    rows_s, rows_t = student.tolist(), teacher.tolist()
    fake = [a - b for a, b in rows_s]
    real = [a - b for a, b in rows_t]
    g = adversary(dict(p=(student, teacher)))['loss_g_p']
    assert float(g.detach()) == pytest.approx(
        sum(softplus(-f) for f in fake) / 4 + 0.5 * rotation_ce(rows_s)
    )
    d = adversary(dict(p=(student, teacher)), mode='discriminator')
    # the rotation term of the discriminator reads the teacher only, at
    # the default d_weight 1
    assert float(d['loss_d_p'].detach()) == pytest.approx(
        sum(softplus(-r) for r in real) / 4
        + sum(softplus(f) for f in fake) / 4
        + rotation_ce(rows_t)
    )
    d['loss_d_p'].backward()
    assert head.weight.grad.abs().sum() > 0 and student.grad is None
    head.weight.grad = None
    g.backward()
    # the student's rows move to make their rotations legible to the head
    assert student.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='expects 2 rotated views'):
        adversary(dict(p=(student[:3], teacher[:3])))
    with pytest.raises(ConfigError, match='one row per rotated view'):
        linear_adversary(channels=2, views=2, rotation=dict())
    with pytest.raises(ConfigError, match='do not combine'):
        linear_adversary(channels=2, num_classes=3, rotation=dict())
    with pytest.raises(ConfigError, match="got \\['weight'\\]"):
        linear_adversary(channels=2, rotation=dict(weight=1.0))


def test_a_one_column_record_counts_as_one_channel():
    """A record of one value per row, ``(N,)``, is one channel wide: the
    width check takes it as such, and names width 1 when the pair says
    otherwise."""
    adversary, _ = linear_adversary(channels=1)
    rows = torch.zeros(4)
    adversary.check_widths(dict(p=(rows, rows)))
    adversary, _ = linear_adversary(channels=2)
    with pytest.raises(ConfigError, match='gives 1 channels'):
        adversary.check_widths(dict(p=(rows, rows)))


def test_a_rotation_pair_defaults_to_four_quarter_turns():
    """SSKD's and HSAKD's four rotations; the discriminator's rotation
    head predicts one of them."""
    adversary, _ = linear_adversary(channels=2, rotation=dict())
    assert adversary.pairs['p'].rotation == dict(
        num_rotations=4, d_weight=1.0, g_weight=0.2
    )
    assert adversary.discriminators['p'].rotation_head.out_features == 4
