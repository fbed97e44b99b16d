"""LightSKD: DSR's value and state, DRG's gradient paths, Runner runs."""

import json
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import REPO, run_tool, tiny_cfg
from mmsamkd.errors import ConfigError
from mmsamkd.models.heads import ShallowAdapter
from mmsamkd.models.losses import PreviousBatchSortedKD


def config(variant):
    return osp.join(
        REPO,
        f'configs/lightskd/lightskd-{variant}_resnet8-quarter_1xb64_fmnist.py',
    )


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def kl_rows(student, teacher, tau):
    """T^2 * mean over rows of KL(softmax(t/T) || softmax(s/T)), in
    plain Python floats."""
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        s_sum = sum(math.exp(v / tau) for v in s_row)
        t_sum = sum(math.exp(v / tau) for v in t_row)
        for s, t in zip(s_row, t_row):
            p, q = math.exp(t / tau) / t_sum, math.exp(s / tau) / s_sum
            total += p * (math.log(p) - math.log(q))
    return tau**2 * total / len(student)


# --- DSR ------------------------------------------------------------------


def test_dsr_compares_sorted_logits_with_the_previous_batch():
    loss = PreviousBatchSortedKD(tau=4, loss_weight=1.0)
    first = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]])
    assert loss(first).item() == 0  # nothing before the first batch
    second = torch.tensor(
        [[1.0, 0.0, 4.0], [2.0, 2.5, 0.5]], requires_grad=True
    )
    value = loss(second)
    expected = kl_rows(
        torch.tensor([[0.0, 1.0, 4.0], [0.5, 2.0, 2.5]]),
        torch.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 5.0]]),
        4,
    )
    assert value.item() == pytest.approx(expected, rel=1e-6)
    value.backward()
    assert second.grad.abs().sum() > 0  # gradients pass through the sort

    # a smaller batch (the last of an epoch) compares its first rows
    third = torch.tensor([[4.0, 0.0, 2.0]])
    expected = kl_rows(
        torch.tensor([[0.0, 2.0, 4.0]]), torch.tensor([[0.0, 1.0, 4.0]]), 4
    )
    assert loss(third).item() == pytest.approx(expected, rel=1e-5)
    # and the next, larger one its first row against that single row
    fourth = torch.tensor([[2.0, 0.0, 0.0], [9.0, 9.0, 9.0]])
    expected = kl_rows(
        torch.tensor([[0.0, 0.0, 2.0]]), torch.tensor([[0.0, 2.0, 4.0]]), 4
    )
    assert loss(fourth).item() == pytest.approx(expected, rel=1e-5)


def test_kl_divergence_by_hand_and_only_the_student_learns():
    """``KL(p_t || p_s) tau^2`` with the teacher side detached: DSR's
    previous batch and MS-MGANs' student both go in as the teacher."""
    from mmsamkd.models.losses import kl_divergence

    student = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    teacher = torch.tensor([[0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    value = kl_divergence(student, teacher, 2.0)
    assert value.item() == pytest.approx(kl_rows(student, teacher, 2.0))
    value.backward()
    assert teacher.grad is None and student.grad.abs().sum() > 0


def test_dsr_keeps_the_previous_batch_without_its_graph():
    """The stored batch is detached: its graph (the previous step's
    activations) would otherwise stay alive for another step."""
    loss = PreviousBatchSortedKD()
    loss(torch.rand(2, 3, requires_grad=True))
    assert not loss.previous.requires_grad


def test_dsr_state_travels_in_the_state_dict():
    torch.manual_seed(0)
    loss = PreviousBatchSortedKD()
    loss(torch.randn(4, 5))
    restored = PreviousBatchSortedKD()
    restored.load_state_dict(loss.state_dict())
    batch = torch.randn(4, 5)
    assert restored(batch).item() == loss(batch).item() > 0
    with pytest.raises(ValueError, match='previous batch has 5 classes'):
        restored(torch.randn(4, 3))
    # before any batch (MMEngine broadcasts the state at start under DDP):
    # still no previous batch, so the first one costs nothing
    fresh = PreviousBatchSortedKD()
    fresh.load_state_dict(PreviousBatchSortedKD().state_dict())
    assert fresh.previous is None
    assert fresh(torch.randn(4, 5)).item() == 0


# --- DRG ------------------------------------------------------------------


def sepconv_params(c_in, c_out):
    # depthwise 3x3, pointwise, BN; depthwise 3x3, pointwise, BN
    return (
        9 * c_in
        + c_in * c_in
        + 2 * c_in
        + 9 * c_in
        + c_in * c_out
        + (2 * c_out)
    )


def test_adapter_has_the_published_size_and_fits_odd_inputs():
    # the published adapter_2 on ResNet-50's second stage (512 wide)
    adapter = ShallowAdapter(512, (1024, 2048), 100)
    expected = (
        sepconv_params(512, 512)
        + 2 * 512  # the attention block's own BN
        + sepconv_params(512, 1024)
        + sepconv_params(1024, 2048)
        + 2048 * 100
        + 100
    )
    assert sum(p.numel() for p in adapter.parameters()) == expected
    # 7x7 input: the mask comes back at 7x7 (a x2 upsample would give 8)
    small = ShallowAdapter(8, (16,), 10)
    assert small(torch.randn(2, 8, 7, 7)).shape == (2, 10)


def test_adapter_weighs_its_input_by_the_mask_then_downsamples():
    """A neutral attention (its last BN all zero: ReLU 0, sigmoid 0.5)
    halves the input: the adapter is then its convs, pooling and fc on
    x / 2. Each stage's separable convs halve the size (stride 2 in the
    first)."""
    torch.manual_seed(0)
    adapter = ShallowAdapter(4, (8,), 3).eval()
    last_bn = adapter.attention[1]
    torch.nn.init.zeros_(last_bn.weight)
    torch.nn.init.zeros_(last_bn.bias)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        features = adapter.convs(x / 2)
        assert features.shape == (2, 8, 4, 4)
        expected = adapter.fc(features.mean((2, 3)))
        assert torch.allclose(adapter(x), expected, atol=1e-6)


def test_adapter_mask_is_resized_with_corners_aligned():
    """The published adapter_2 upsamples its mask bilinearly with
    align_corners=True: output row i reads input row i * (h - 1) / (H - 1).
    Here as an interpolation matrix, row by row and column by column."""
    torch.manual_seed(0)
    adapter = ShallowAdapter(2, (4,), 3).eval()
    x = torch.rand(1, 2, 8, 8) + 0.5  # no zero to divide by
    taken = []
    adapter.convs.register_forward_pre_hook(lambda m, a: taken.append(a[0]))
    with torch.no_grad():
        adapter(x)
        small = adapter.attention(x)  # 4x4
    assert small.shape[-2:] == (4, 4)
    resize = torch.zeros(8, 4)
    for i in range(8):
        source = i * 3 / 7
        low = min(int(source), 2)
        resize[i, low] = 1 - (source - low)
        resize[i, low + 1] = source - low
    mask = (resize @ small @ resize.T).sigmoid()
    assert torch.allclose(taken[0] / x, mask, atol=1e-5)


def build(variant, **options):
    cfg = Config.fromfile(config(variant))
    cfg.merge_from_dict(options)
    init_default_scope('mmpretrain')
    return MODELS.build(cfg.model)


def grads_after(algorithm, key, inputs, data_samples):
    algorithm.zero_grad()
    losses = algorithm.loss(inputs, data_samples)
    losses[key].backward()
    return {
        name
        for name, p in algorithm.architecture.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }


def test_drg_gradients_reach_only_their_paths():
    torch.manual_seed(0)
    algorithm = build('drg')
    algorithm.train()
    inputs = torch.randn(8, 1, 28, 28)
    data_samples = samples(range(8))

    kl = grads_after(algorithm, 'distill.loss_drg', inputs, data_samples)
    assert kl and not any(n.startswith('adapter.') for n in kl)
    assert any(n.startswith('head.') for n in kl)

    ce = grads_after(algorithm, 'student.loss_adapter', inputs, data_samples)
    assert any(n.startswith('adapter.') for n in ce)
    assert not any(n.startswith(('head.', 'backbone.stages.2')) for n in ce)
    assert any(n.startswith('backbone.stages.1') for n in ce)

    own = grads_after(algorithm, 'student.loss', inputs, data_samples)
    assert not any(n.startswith('adapter.') for n in own)


def test_drg_value_is_kl_from_the_adapter_prediction():
    torch.manual_seed(0)
    algorithm = build('drg-dsr')
    algorithm.train()
    inputs = torch.randn(8, 1, 28, 28)
    losses = algorithm.loss(inputs, samples(range(8)))
    student = algorithm.architecture
    with torch.no_grad():
        tapped, final = student.backbone(inputs)
        logits = student.head(student.neck((final,)))
        adapter_logits = student.adapter(tapped)
    expected = 0.2 * kl_rows(logits, adapter_logits, 4)
    assert losses['distill.loss_drg'].item() == pytest.approx(
        expected, rel=1e-4
    )
    assert losses['distill.loss_dsr'].item() == 0  # first batch of a run


def test_student_predicts_from_its_last_stage_as_a_plain_classifier():
    """The adapter is for training only: features and predictions come
    from the last stage through neck and head, as ImageClassifier's do."""
    torch.manual_seed(0)
    student = build('drg').architecture.eval()
    inputs = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        _, final = student.backbone(inputs)
        pooled = student.neck((final,))
        (maps,) = student.extract_feat(inputs, stage='backbone')
        assert torch.equal(maps, final)
        assert torch.equal(student.extract_feat(inputs)[0], pooled[0])
        logits = student(inputs, mode='tensor')
    assert torch.allclose(logits, student.head(pooled))


def test_adapter_stage_is_checked():
    with pytest.raises(ConfigError, match='adapter_stage must name'):
        build('drg', **{'model.architecture.adapter_stage': 2})
    with pytest.raises(ConfigError, match='adapter_stage must name'):
        build('drg', **{'model.architecture.adapter_stage': -1})
    # the adapter takes its stage's width through every later stage's
    for stage in (0, 1):
        student = build(
            'drg', **{'model.architecture.adapter_stage': stage}
        ).architecture
        widths = student.backbone.stage_channels
        adapter = student.adapter
        assert adapter.attention[1].num_features == widths[stage]
        assert [sep[-2].num_features for sep in adapter.convs] == list(
            widths[stage + 1 :]
        )


def test_adapter_loss_is_its_weighted_cross_entropy():
    torch.manual_seed(0)
    student = build(
        'drg', **{'model.architecture.adapter_loss_weight': 0.3}
    ).architecture.train()
    inputs, labels = torch.randn(8, 1, 28, 28), torch.arange(8) % 10
    losses = student.loss(inputs, samples(labels.tolist()))
    with torch.no_grad():
        tapped, _ = student.backbone(inputs)
        expected = 0.3 * F.cross_entropy(student.adapter(tapped), labels)
    assert losses['loss_adapter'].item() == pytest.approx(
        expected.item(), rel=1e-5
    )


# --- Runner runs ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize('variant', ['drg', 'dsr', 'drg-dsr'])
def test_lightskd_runner_and_export(variant, tmp_path):
    from mmengine.runner import Runner

    work_dir = tmp_path / variant
    Runner.from_cfg(tiny_cfg(config(variant), work_dir)).train()
    scalars = next(work_dir.glob('*/vis_data/scalars.json')).read_text()
    for key in {'drg': ['loss_drg'], 'dsr': ['loss_dsr']}.get(
        variant, ['loss_drg', 'loss_dsr']
    ):
        assert f'distill.{key}' in scalars

    out = tmp_path / 'student.pth'
    result = run_tool(
        'export_student.py', work_dir / 'epoch_1.pth', '--out', out
    )
    assert result.returncode == 0, result.stderr[-3000:]
    exported = torch.load(out, weights_only=False)['state_dict']
    assert not any(k.startswith('adapter') for k in exported)
    plain_cfg = Config.fromfile(tmp_path / 'student.py').model
    assert plain_cfg.type == 'ImageClassifier'
    init_default_scope('mmpretrain')
    MODELS.build(plain_cfg).load_state_dict(exported, strict=True)


@pytest.mark.slow
def test_dsr_skips_only_the_first_batch_of_a_run(tmp_path):
    from mmengine.runner import Runner

    cfg = tiny_cfg(
        config('dsr'),
        tmp_path,
        **{
            'train_cfg.max_epochs': 2,
            'train_dataloader.dataset.indices': 128,
        },
    )
    Runner.from_cfg(cfg).train()
    rows = [
        json.loads(line)
        for line in next(tmp_path.glob('*/vis_data/scalars.json'))
        .read_text()
        .splitlines()
    ]
    dsr = {
        row['step']: row['distill.loss_dsr']
        for row in rows
        if 'step' in row and 'distill.loss_dsr' in row
    }
    # 2 iterations an epoch: the run's first is skipped, the first of the
    # second epoch compares with the last batch of the first
    assert dsr[1] == 0
    assert dsr[2] > 0 and dsr[3] > 0 and dsr[4] > 0
