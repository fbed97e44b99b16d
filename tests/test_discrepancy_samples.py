"""SAMKD's game on the inputs: discrepancy samples and their loss."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import (
    REPO,
    clone_state,
)
from mmsamkd.engine import SAMKDOptimWrapperConstructor
from mmsamkd.errors import ConfigError
from mmsamkd.models.algorithms.discrepancy_samples import (
    discrepancy_samples,
    frozen_norm_statistics,
    joint_divergence,
)

SAMPLES_CFG = osp.join(
    REPO,
    'configs/samkd/study/samkd-samples0.1_resnet14_resnet8-quarter_1xb64_fmnist.py',
)


DEFAULT = dict(epsilon=0.1, tau=3)


def build(samples=DEFAULT):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(SAMPLES_CFG)
    cfg.model.teacher_ckpt = None
    cfg.model.samples = None if samples is None else dict(samples)
    torch.manual_seed(0)
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    optim = {k: v for k, v in cfg.optim_wrapper.items() if k != 'constructor'}
    return algorithm, SAMKDOptimWrapperConstructor(optim)(algorithm)


def images(n=4, seed=1):
    torch.manual_seed(seed)
    return torch.randn(n, 1, 28, 28)


def hand_kl(student, teacher, tau):
    """KL(softmax(t/tau) || softmax(s/tau)) * tau^2, mean over rows."""
    p = torch.softmax(teacher / tau, 1)
    log_q = torch.log_softmax(student / tau, 1)
    return (p * (p.log() - log_q)).sum(1).mean() * tau**2


def hand_views(x):
    """Image-major rotated views, written out: image i at 0, 1, 2, 3."""
    rows = []
    for image in x:
        for k in range(4):
            rows.append(torch.rot90(image, k, dims=(1, 2)))
    return torch.stack(rows)


def test_joint_divergence_hand_value():
    algorithm, _ = build()
    teacher, student = algorithm.teacher, algorithm.student
    x = images()
    with torch.no_grad():
        value = joint_divergence(teacher, student, x, tau=3)
        t_logits, t_branches = teacher.forward_views(hand_views(x))
        s_logits, s_branches = student.forward_views(hand_views(x))
    assert len(s_branches) == 2 and s_logits.shape == (16, 10)
    expected = hand_kl(s_logits, t_logits, 3) + sum(
        hand_kl(s, t, 3) for s, t in zip(s_branches, t_branches)
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_samples_step_up_the_divergence_and_leave_the_models():
    algorithm, _ = build()
    teacher, student = algorithm.teacher.double(), algorithm.student.double()
    x = images().double()
    stats = clone_state(student)
    moved = discrepancy_samples(teacher, student, x, epsilon=0.05, tau=3)
    assert not moved.requires_grad
    step = ((moved - x) / 0.05).round()
    torch.testing.assert_close(moved, x + 0.05 * step)
    assert set(step.unique().tolist()) <= {-1.0, 0.0, 1.0}
    assert (step != 0).float().mean() > 0.9
    # neither the running statistics nor any parameter moved or got a grad
    for key, value in student.state_dict().items():
        assert torch.equal(value, stats[key]), key
    assert all(p.grad is None for p in student.parameters())
    assert all(p.grad is None for p in teacher.parameters())

    # the step's sign is the true gradient's: central differences along it
    # give sum |grad|, the directional derivative of an ascent direction
    def divergence(inputs):
        with torch.no_grad(), frozen_norm_statistics(student):
            return joint_divergence(teacher, student, inputs, 3).item()

    h = 1e-4
    slope = (divergence(x + h * step) - divergence(x - h * step)) / (2 * h)
    probe = x.clone().requires_grad_(True)
    with frozen_norm_statistics(student):
        (grad,) = torch.autograd.grad(
            joint_divergence(teacher, student, probe, 3), probe
        )
    assert slope == pytest.approx(grad.abs().sum().item(), rel=1e-4)
    assert divergence(moved) > divergence(x)


def test_pixels_without_gradient_stay(monkeypatch):
    """A pixel the divergence does not depend on steps by sign(0) = 0 (not
    epsilon / 0); the others by epsilon up their gradient."""
    from mmsamkd.models.algorithms import discrepancy_samples as module

    def left_half_only(teacher, student, images, tau):
        return (images[..., :14] ** 3).sum()

    monkeypatch.setattr(module, 'joint_divergence', left_half_only)
    algorithm, _ = build()
    x = images()
    moved = discrepancy_samples(
        algorithm.teacher, algorithm.student, x, 0.1, 3
    )
    assert torch.equal(moved[..., 14:], x[..., 14:])
    torch.testing.assert_close(moved[..., :14], x[..., :14] + 0.1)


def test_train_step_adds_the_weighted_sample_loss():
    algorithm, wrappers = build()
    algorithm.set_adversarial_weights(dict(samples=0.5))
    batch = dict(
        inputs=[
            torch.randint(0, 255, (1, 28, 28), dtype=torch.uint8)
            for _ in range(4)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in range(4)],
    )
    inputs = algorithm.data_preprocessor(batch, True)['inputs']
    teacher, student = algorithm.teacher, algorithm.student
    moved = discrepancy_samples(teacher, student, inputs, 0.1, 3)
    with frozen_norm_statistics(student):
        expected = 0.5 * joint_divergence(teacher, student, moved, 3)
    # the gradient the student gets from the term: that of the divergence
    # at fixed samples (nothing flows through the perturbation)
    expected_grads = torch.autograd.grad(expected, list(student.parameters()))
    sample_loss = algorithm._sample_loss(inputs) * 0.5
    grads = torch.autograd.grad(sample_loss, list(student.parameters()))
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want)

    log = algorithm.train_step(batch, wrappers)
    assert float(log['adv.loss_samples']) == pytest.approx(
        expected.item(), rel=1e-5
    )
    terms = [v for k, v in log.items() if 'loss' in k and k != 'loss']
    assert float(log['loss']) == pytest.approx(
        sum(float(v) for v in terms), rel=1e-5
    )
    algorithm.set_adversarial_weights({})
    assert 'adv.loss_samples' not in algorithm.train_step(batch, wrappers)


def test_sample_passes_leave_the_norm_statistics(monkeypatch):
    """Only the training forward moves the student's BN statistics: a step
    with the sample term ends with the statistics of a step without it."""
    batch = dict(
        inputs=[
            torch.randint(0, 255, (1, 28, 28), dtype=torch.uint8)
            for _ in range(4)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in range(4)],
    )
    statistics = []
    for weight in (0.0, 0.5):
        algorithm, wrappers = build()  # seeded: the same model each time
        for wrapper in wrappers.values():  # no weight moves
            monkeypatch.setattr(wrapper, 'update_params', lambda loss: None)
        algorithm.set_adversarial_weights(dict(samples=weight))
        log = algorithm.train_step(batch, wrappers)
        assert ('adv.loss_samples' in log) == (weight > 0)
        statistics.append(
            {
                k: v.clone()
                for k, v in algorithm.student.state_dict().items()
                if 'running' in k
            }
        )
    assert statistics[0]
    for key, value in statistics[0].items():
        assert torch.equal(statistics[1][key], value), key


def test_sample_config_errors_are_clear():
    with pytest.raises(ConfigError, match='epsilon'):
        build(dict(eps=0.1))
    with pytest.raises(ConfigError, match='epsilon > 0'):
        build(dict(epsilon=0.0))
    with pytest.raises(ConfigError, match='tau > 0'):
        build(dict(epsilon=0.1, tau=0.0))
    assert build(dict(epsilon=0.1, tau=1.0))[0].samples['tau'] == 1.0
    algorithm, _ = build(None)
    with pytest.raises(ConfigError, match='samples needs model.samples'):
        algorithm.set_adversarial_weights(dict(samples=1))


def test_frozen_norm_statistics_restores_and_skips_stat_free_norms():
    model = torch.nn.Sequential(
        torch.nn.BatchNorm1d(3),
        torch.nn.BatchNorm1d(3, track_running_stats=False),
        torch.nn.BatchNorm1d(3, momentum=None),
    )
    before = clone_state(model)
    with frozen_norm_statistics(model):
        model(torch.randn(8, 3) * 5 + 2)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert [m.momentum for m in model] == [0.1, 0.1, None]
    model(torch.randn(8, 3) * 5 + 2)  # outside, statistics move again
    assert not torch.equal(model[0].running_mean, before['0.running_mean'])
