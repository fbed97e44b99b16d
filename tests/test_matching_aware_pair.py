"""SAMKDAdversary's matching-aware pairs (``condition``): values, gradients,
mismatched rows and SAMKD's wiring of the condition records."""

import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope, init_default_scope
from test_samkd import batch, constructor_cfg

from conftest import REPO, tiny_cfg
from mmsamkd.engine import SAMKDOptimWrapperConstructor
from mmsamkd.errors import ConfigError
from mmsamkd.models.algorithms import SAMKDAdversary
from mmsamkd.models.algorithms.adversarial_pair import mismatched_rows

MATCHAWARE_CFG = osp.join(
    REPO,
    'configs/samkd/study/samkd-matchaware_resnet14_resnet8-quarter_1xb64_fmnist.py',
)


def softplus(x):
    return math.log1p(math.exp(x))


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def matching_adversary(**pair):
    """One matching-aware pair (condition 1 wide, rows 2 wide) judged by a
    single linear layer: score = 2 c + x0 - x1 + 0.5."""
    pair = dict(
        dict(channels=2, condition=dict(teacher='c', channels=1)), **pair
    )
    with DefaultScope.overwrite_default_scope('mmrazor'):
        adversary = SAMKDAdversary(
            pairs=dict(p=dict(student='s', teacher='t', **pair)),
            discriminator=dict(type='MLPDiscriminator', hidden_channels=()),
        )
    linear = adversary.discriminators['p'].layers[0]
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[2.0, 1.0, -1.0]]))
        linear.bias.fill_(0.5)
    return adversary, linear


def score(c, row):
    return 2 * c + row[0] - row[1] + 0.5


# 2 images x 2 rotated views, image-major: rows 0, 1 are image 0
STUDENT = [[1.0, 0.0], [0.0, 2.0], [0.5, 0.5], [3.0, 1.0]]
TEACHER = [[0.0, 1.0], [2.0, 0.0], [1.0, 1.0], [0.0, 0.5]]
CONDITION = [[1.0], [-1.0], [0.5], [0.0]]


def records():
    student = torch.tensor(STUDENT, requires_grad=True)
    teacher = torch.tensor(TEACHER, requires_grad=True)
    condition = torch.tensor(CONDITION, requires_grad=True)
    return student, teacher, condition


def test_discriminator_loss_by_hand_with_mismatched_negatives():
    adversary, linear = matching_adversary()
    student, teacher, condition = records()
    losses = adversary(
        dict(p=(student, teacher, condition)),
        mode='discriminator',
        rows_per_image=2,
    )
    # two images: the other image is image 1 for image 0 and back, at the
    # same view, so row i meets the teacher row (i + 2) % 4
    real = [score(c, t) for (c,), t in zip(CONDITION, TEACHER)]
    fake = [score(c, s) for (c,), s in zip(CONDITION, STUDENT)]
    wrong = [
        score(c, TEACHER[(i + 2) % 4]) for i, (c,) in enumerate(CONDITION)
    ]
    # BCE: real rows against 1, both kinds of fake (8 rows) against 0
    expected = (
        sum(softplus(-r) for r in real) / 4
        + sum(softplus(f) for f in fake + wrong) / 8
    )
    assert float(losses['loss_d_p'].detach()) == pytest.approx(expected)
    losses['loss_d_p'].backward()
    # only the discriminator learns here
    assert student.grad is None and teacher.grad is None
    assert condition.grad is None
    # d/dw of the condition weight: real rows pull it by -sigmoid(-r) c,
    # fakes push it by sigmoid(f) c
    grad_c = sum(-sigmoid(-r) * c for r, (c,) in zip(real, CONDITION)) / 4
    grad_c += (
        sum(sigmoid(f) * c for f, (c,) in zip(fake + wrong, CONDITION * 2)) / 8
    )
    assert float(linear.weight.grad[0, 0]) == pytest.approx(grad_c)


def test_generator_loss_and_gradient_by_hand():
    adversary, linear = matching_adversary()
    student, teacher, condition = records()
    losses = adversary(dict(p=(student, teacher, condition)))
    fake = [score(c, s) for (c,), s in zip(CONDITION, STUDENT)]
    assert set(losses) == {'loss_g_p'}
    assert float(losses['loss_g_p'].detach()) == pytest.approx(
        sum(softplus(-f) for f in fake) / 4
    )
    losses['loss_g_p'].backward()
    # d softplus(-f) / d student row = -sigmoid(-f) (1, -1), over 4 rows;
    # the condition and the teacher stay untouched
    expected = torch.tensor(
        [[-sigmoid(-f) / 4, sigmoid(-f) / 4] for f in fake]
    )
    assert torch.allclose(student.grad, expected)
    assert condition.grad is None and teacher.grad is None


def test_the_condition_changes_the_score_per_image():
    """The point of the design: the same output is judged differently
    beside another image's condition."""
    adversary, _ = matching_adversary()
    student, teacher, condition = records()
    g = adversary(dict(p=(student, teacher, condition)))['loss_g_p']
    swapped = condition[[2, 3, 0, 1]]
    g_swapped = adversary(dict(p=(student, teacher, swapped)))['loss_g_p']
    assert float(g.detach()) != pytest.approx(float(g_swapped.detach()))


def test_mismatched_rows_keep_the_view_and_change_the_image():
    torch.manual_seed(0)
    shifts = set()
    for _ in range(50):
        rows = mismatched_rows(12, 4)  # 3 images x 4 views
        assert sorted(rows.tolist()) == list(range(12))
        assert all(r % 4 == i % 4 for i, r in enumerate(rows.tolist()))
        assert all(r // 4 != i // 4 for i, r in enumerate(rows.tolist()))
        shifts.add(int(rows[0]) // 4)
    assert shifts == {1, 2}  # both other images are drawn
    assert mismatched_rows(3, 1).tolist() in ([1, 2, 0], [2, 0, 1])
    for rows, per_image in ((4, 4), (6, 4), (1, 1), (4, 0)):
        with pytest.raises(ValueError, match='at least two images'):
            mismatched_rows(rows, per_image)


def test_matching_aware_errors_are_one_line_with_the_fix():
    with pytest.raises(ConfigError, match='condition=dict\\(teacher='):
        matching_adversary(condition=dict(teacher='c'))
    for option, value in (
        ('views', 2),
        ('spatial', True),
        ('num_classes', 3),
        ('rotation', dict()),
    ):
        with pytest.raises(ConfigError, match=f"'{option}'"):
            with DefaultScope.overwrite_default_scope('mmrazor'):
                SAMKDAdversary(
                    pairs=dict(
                        p=dict(
                            student='s',
                            teacher='t',
                            channels=2,
                            condition=dict(teacher='c', channels=1),
                            **{option: value},
                        )
                    )
                )
    adversary, _ = matching_adversary()
    student, teacher, condition = records()
    with pytest.raises(ValueError, match="condition record \\('c'\\)"):
        adversary(dict(p=(student, teacher)))
    with pytest.raises(ValueError, match='the condition has 3 rows'):
        adversary(dict(p=(student, teacher, condition[:3])))
    with pytest.raises(ConfigError, match='set condition.channels=2'):
        adversary.check_widths(
            dict(p=(student, teacher, torch.cat([condition] * 2, 1)))
        )


def build_matchaware():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(MATCHAWARE_CFG)
    cfg.model.teacher_ckpt = None
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    wrappers = SAMKDOptimWrapperConstructor(constructor_cfg())(algorithm)
    return cfg, algorithm, wrappers


def test_samkd_judges_beside_the_teachers_shallower_stage(monkeypatch):
    """The shipped config's feat0 discriminator sees the pooled output of
    the teacher's stage 0 for the same row, then the branch feature; its
    mismatched rows keep the rotated view (4 per image)."""
    _, algorithm, wrappers = build_matchaware()
    algorithm.set_adversarial_weights(dict(feat0=0.1))
    stage0, seen, drawn = [], [], []
    algorithm.teacher.backbone.stages[0].register_forward_hook(
        lambda m, i, out: stage0.append(out.detach())
    )
    algorithm.adversary.discriminators['feat0'].layers[
        0
    ].register_forward_hook(
        lambda m, inputs, out: seen.append(inputs[0].detach())
    )
    from mmsamkd.models.algorithms import adversarial_pair

    def spy(rows, rows_per_image, *args):
        drawn.append((rows, rows_per_image))
        return mismatched_rows(rows, rows_per_image, *args)

    monkeypatch.setattr(adversarial_pair, 'mismatched_rows', spy)
    log = algorithm.train_step(batch(3), wrappers)
    assert {'adv.loss_d_feat0', 'adv.loss_g_feat0'} <= set(log)
    assert drawn == [(12, 4)]
    pooled = stage0[-1].mean(dim=(2, 3))  # 3 images x 4 views, 16 wide
    # discriminator step: real, fake, mismatched; then the student's step
    assert len(seen) == 4
    for rows in seen:
        assert rows.shape == (12, 16 + 64)
        assert torch.allclose(rows[:, :16], pooled)


def test_samkd_refuses_an_unknown_condition_recorder():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(MATCHAWARE_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.adversary.pairs.feat1.condition.teacher = 'stage7'
    with pytest.raises(ConfigError, match="recorder 'stage7'"):
        MODELS.build(cfg.model)


def test_matchaware_config_trains_through_the_runner(tmp_path):
    """The users' path: the shipped config, the Runner's dataloader and
    collate, every pair judged from the first iteration."""
    from mmengine.runner import Runner

    cfg = tiny_cfg(MATCHAWARE_CFG, tmp_path, **{'model.teacher_ckpt': None})
    cfg.train_dataloader.dataset.indices = 64
    cfg.train_dataloader.update(batch_size=16, num_workers=0)
    cfg.train_dataloader.pop('persistent_workers', None)
    cfg.custom_hooks[0].stages = [
        dict(begin=0, weights=dict(feat0=0.1, feat1=0.1, logits=0.1))
    ]
    runner = Runner.from_cfg(cfg)
    before = {
        k: v.clone() for k, v in runner.model.adversary.state_dict().items()
    }
    runner.train()
    scalars = runner.message_hub.log_scalars
    for name in ('feat0', 'feat1', 'logits'):
        assert math.isfinite(scalars[f'train/adv.loss_d_{name}'].current())
        assert f'train/adv.loss_g_{name}' in scalars
        weight = f'pairs.{name}.discriminator.layers.0.weight'
        assert not torch.equal(
            before[weight], runner.model.adversary.state_dict()[weight]
        )


def test_discriminator_scores_feed_each_kind_beside_its_condition(
    monkeypatch,
):
    """benchmarks/discriminator_scores.py scores the teacher's rows, the
    student's and the teacher's rows of other images at the same view,
    each beside the same condition."""
    import sys

    from mmsamkd.models.algorithms import AdversarialPair

    sys.path.insert(0, osp.join(REPO, 'benchmarks'))
    from discriminator_scores import mean_scores

    _, algorithm, _ = build_matchaware()
    calls = []
    score = AdversarialPair.score

    def spy(pair, x, labels=None, condition=None):
        calls.append((pair.name, x, condition))
        return score(pair, x, labels, condition)

    monkeypatch.setattr(AdversarialPair, 'score', spy)
    scores = mean_scores(algorithm, [batch(3)])
    assert set(scores) == {'feat0', 'feat1', 'logits'}
    assert all(0 < v < 1 for kinds in scores.values() for v in kinds)
    assert [c[0] for c in calls] == [
        name for name in ('feat0', 'feat1', 'logits') for _ in range(3)
    ]
    for k in range(0, 9, 3):
        (_, real, condition), (_, student, c2), (_, wrong, c3) = calls[
            k : k + 3
        ]
        assert c2 is condition and c3 is condition
        assert not torch.equal(student, real)
        # each mismatched row is a real row of another image, same view
        for i, row in enumerate(wrong):
            (j,) = [j for j in range(12) if torch.equal(real[j], row)]
            assert j % 4 == i % 4 and j // 4 != i // 4
