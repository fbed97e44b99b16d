"""SAMKD: GAN losses, two-optimizer train_step, stages, guard, resume."""

import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import REPO, clone_state, run_dist_train, tiny_cfg
from mmsamkd.engine import AdversarialStageHook, SAMKDOptimWrapperConstructor
from mmsamkd.errors import ConfigError, NonFiniteLossError
from mmsamkd.models.losses import (
    AdversarialLoss,
    discriminator_loss,
    generator_loss,
)

SAMKD_CFG = osp.join(
    REPO, 'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
REAL = torch.tensor([[2.0], [-1.0]])
FAKE = torch.tensor([[0.5], [-3.0]])


def softplus(x):
    return math.log1p(math.exp(x))


# ---------------------------------------------------------------- losses
def test_bce_losses_hand_values():
    # -log(sigmoid(r)) = softplus(-r); -log(1 - sigmoid(f)) = softplus(f)
    d = (softplus(-2.0) + softplus(1.0)) / 2 + (
        softplus(0.5) + softplus(-3.0)
    ) / 2
    g = (softplus(-0.5) + softplus(3.0)) / 2
    assert discriminator_loss(REAL, FAKE, 'bce').item() == pytest.approx(d)
    assert generator_loss(FAKE, 'bce').item() == pytest.approx(g)


def test_lsgan_losses_hand_values():
    # 0.5 * mean((r - 1)^2) + 0.5 * mean(f^2) = 0.5 * 2.5 + 0.5 * 4.625
    assert discriminator_loss(REAL, FAKE, 'lsgan').item() == pytest.approx(
        3.5625
    )
    # 0.5 * mean((f - 1)^2) = 0.5 * (0.25 + 16) / 2
    assert generator_loss(FAKE, 'lsgan').item() == pytest.approx(4.0625)


def test_hinge_losses_hand_values():
    # mean(relu(1 - r)) + mean(relu(1 + f)) = mean(0, 2) + mean(1.5, 0)
    assert discriminator_loss(REAL, FAKE, 'hinge').item() == pytest.approx(
        1.75
    )
    assert generator_loss(FAKE, 'hinge').item() == pytest.approx(1.25)


def test_adversarial_loss_weight_and_type_check():
    loss = AdversarialLoss('lsgan', loss_weight=0.5)
    assert loss(FAKE).item() == pytest.approx(0.5 * 4.0625)
    assert loss.discriminator(REAL, FAKE).item() == pytest.approx(3.5625)
    with pytest.raises(ValueError, match='gan_type'):
        AdversarialLoss('wgan')


def test_spectral_norm_discriminator():
    disc = MODELS.build(
        dict(
            type='mmrazor.MLPDiscriminator',
            in_channels=8,
            hidden_channels=(16, 4),
            spectral_norm=True,
        )
    )
    assert disc(torch.rand(5, 8)).shape == (5, 1)
    assert hasattr(disc.layers[0], 'parametrizations')
    with pytest.raises(ConfigError, match='build it with num_rotations'):
        disc.rotation_logits(torch.rand(5, 8))
    rotating = MODELS.build(
        dict(
            type='mmrazor.MLPDiscriminator',
            in_channels=8,
            spectral_norm=True,
            num_rotations=4,
        )
    )
    assert rotating.rotation_logits(torch.rand(5, 8)).shape == (5, 4)
    assert hasattr(rotating.rotation_head, 'parametrizations')


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


@pytest.fixture
def samkd():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    wrappers = SAMKDOptimWrapperConstructor(constructor_cfg())(algorithm)
    return algorithm, wrappers


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


def test_patch_discriminator_scores_each_position_locally():
    disc = MODELS.build(
        dict(
            type='mmrazor.PatchDiscriminator',
            in_channels=3,
            hidden_channels=(4,),
        )
    )
    x = torch.rand(2, 3, 6, 5)
    y = x.clone()
    y[0, :, 0, 0] += 1.0
    before, after = disc(x), disc(y)
    assert before.shape == (2, 1, 6, 5)
    moved = (before - after).abs()[0, 0] > 0
    # one 3x3 layer, then 1x1: only the 2x2 corner sees position (0, 0)
    assert moved[:2, :2].all() and moved.sum() == 4
    assert torch.equal(before[1], after[1])
    with pytest.raises(ValueError, match='set spatial=True'):
        disc(torch.rand(2, 3))


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
        patch_adversary(channels=2, views=4)
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
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMKD_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.adversary.pairs.feat1.num_classes = 40
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    wrappers = SAMKDOptimWrapperConstructor(constructor_cfg())(algorithm)
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
    for name, weight in dict(feat0=0.0, feat1=2.0, pooled=0.0).items():
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


# ------------------------------------------------------------------ hook
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
        'train_dataloader.dataset.indices': 128,
        'val_dataloader.dataset.indices': 128,
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


@pytest.mark.slow
def test_samkd_two_process_cpu_distributed(fmnist_ssa_teacher_ckpt, tmp_path):
    result = run_dist_train(
        SAMKD_CFG,
        2,
        tmp_path,
        {'model.teacher_ckpt': fmnist_ssa_teacher_ckpt, 'custom_hooks': '[]'},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    log = open(next(tmp_path.glob('2*/2*.log'))).read()
    assert 'Distributed training: True' in log
    assert 'adv.loss_d_logits' in log  # all pairs active without the hook


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
