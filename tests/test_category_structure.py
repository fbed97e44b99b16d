"""CSKD and ICAKD: CAMs, the memory bank, centroid and relation losses."""

import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import dist
from mmpretrain.structures import DataSample

from conftest import REPO, tiny_cfg
from mmsamkd.errors import ConfigError
from mmsamkd.models.losses import (
    CAMCategoryStructureLoss,
    CAMLoss,
    CategoryStructureLoss,
)
from mmsamkd.models.utils import (
    FeatureBank,
    cam_pooled,
    class_activation_map,
    grad_cam,
    normalize_cam,
)

ICAKD_CFG = osp.join(
    REPO, 'configs/icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


# --- CAM ------------------------------------------------------------------


def test_cam_of_a_gap_fc_head_equals_grad_cam():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 6, 3, padding=1)
    fc = nn.Linear(6, 5)
    images = torch.randn(4, 3, 7, 7)
    labels = torch.tensor([0, 3, 3, 1])
    feature_map = F.relu(conv(images))
    scores = fc(feature_map.mean(dim=(2, 3)))
    by_autograd = grad_cam(scores, feature_map, labels)
    cam = class_activation_map(feature_map, fc.weight, labels)
    # Grad-CAM = CAM / (H W) for GAP + FC; equal once normalised
    assert torch.allclose(by_autograd * 49, cam, atol=1e-5)
    assert torch.allclose(
        normalize_cam(by_autograd), normalize_cam(cam), atol=1e-5
    )
    assert (cam >= 0).all() and cam.max() > 0


def test_cam_pooling_by_hand():
    feature_map = torch.arange(8.0).view(1, 2, 2, 2)  # channels 0..3, 4..7
    cam = torch.tensor([[[1.0, 0.0], [0.0, 3.0]]])
    # weights 1/4 and 3/4 on positions 0 and 3
    expected = torch.tensor([[0 / 4 + 3 * 3 / 4, 4 / 4 + 7 * 3 / 4]])
    assert torch.allclose(cam_pooled(feature_map, cam), expected)
    # no evidence anywhere: plain average pooling
    flat = cam_pooled(feature_map, torch.zeros(1, 2, 2))
    assert torch.allclose(flat, feature_map.mean(dim=(2, 3)))


def test_cam_loss_value():
    torch.manual_seed(0)
    map_s, map_t = torch.rand(3, 4, 5, 5), torch.rand(3, 6, 5, 5)
    # weights of mixed sign; positive enough that no CAM is all zero
    w_s, w_t = torch.rand(7, 4) - 0.2, torch.rand(7, 6) - 0.2
    labels = [2, 0, 6]
    value = CAMLoss(loss_weight=2.0)(map_s, w_s, map_t, w_t, samples(labels))
    expected = 0.0
    for i, y in enumerate(labels):
        cams = []
        for fmap, w in ((map_s, w_s), (map_t, w_t)):
            w_y, m = w[y].tolist(), fmap[i].tolist()
            cam = [
                max(0.0, sum(w_y[c] * m[c][h][x] for c in range(len(w_y))))
                for h in range(5)
                for x in range(5)
            ]
            norm = math.sqrt(sum(v * v for v in cam))
            cams.append([v / norm for v in cam])
        expected += sum((a - b) ** 2 for a, b in zip(*cams))
    assert value.item() == pytest.approx(2.0 * expected / 3, rel=1e-4)


def bilinear(values, size):
    """``values`` (a list of rows) resized to ``size`` x ``size`` as
    ``F.interpolate(mode='bilinear', align_corners=False)`` does: pixel
    centres aligned, sources clamped to the edge."""

    def taps(out, n_in):
        src = max((out + 0.5) * n_in / size - 0.5, 0.0)
        low = int(src)
        return low, min(low + 1, n_in - 1), src - low

    rows, cols = len(values), len(values[0])
    resized = []
    for y in range(size):
        y0, y1, dy = taps(y, rows)
        line = []
        for x in range(size):
            x0, x1, dx = taps(x, cols)
            top = values[y0][x0] * (1 - dx) + values[y0][x1] * dx
            bottom = values[y1][x0] * (1 - dx) + values[y1][x1] * dx
            line.append(top * (1 - dy) + bottom * dy)
        resized.append(line)
    return resized


def test_cam_loss_resizes_a_smaller_student_map_to_the_teachers():
    """A student whose last map is 2 x 2 against a 4 x 4 teacher (e.g. a
    student that downsamples once more): its CAM is resized bilinearly to
    the teacher's positions, then both are normalised and compared."""
    torch.manual_seed(1)
    map_s, map_t = torch.rand(2, 3, 2, 2), torch.rand(2, 4, 4, 4)
    w_s, w_t = torch.rand(5, 3), torch.rand(5, 4)
    labels = [4, 1]
    value = CAMLoss()(map_s, w_s, map_t, w_t, samples(labels))
    expected = 0.0
    for i, y in enumerate(labels):
        cam_s = [
            [max(0.0, float(w_s[y] @ map_s[i, :, h, x])) for x in range(2)]
            for h in range(2)
        ]
        cam_t = [
            max(0.0, float(w_t[y] @ map_t[i, :, h, x]))
            for h in range(4)
            for x in range(4)
        ]
        cam_s = [v for line in bilinear(cam_s, 4) for v in line]
        norms = [math.sqrt(sum(v * v for v in c)) for c in (cam_s, cam_t)]
        expected += sum(
            (a / norms[0] - b / norms[1]) ** 2 for a, b in zip(cam_s, cam_t)
        )
    assert value.item() == pytest.approx(expected / 2, rel=1e-5)


# --- memory bank ----------------------------------------------------------


def test_bank_is_fifo_and_wraps_around():
    bank = FeatureBank(size=5, channels=2)
    assert len(bank.stored()[1]) == 0
    bank.enqueue(
        torch.tensor([[1.0, 1], [2, 2], [3, 3]]), torch.tensor([1, 2, 3])
    )
    feats, labels = bank.stored()
    assert labels.tolist() == [1, 2, 3] and feats[:, 0].tolist() == [1, 2, 3]
    bank.enqueue(
        torch.tensor([[4.0, 4], [5, 5], [6, 6]]), torch.tensor([4, 5, 6])
    )
    # slot 0 (the oldest, 1) was overwritten by 6; pointer at 1
    assert bank.labels.tolist() == [6, 2, 3, 4, 5]
    assert bank.pointer.item() == 1
    # a batch larger than the bank keeps its newest rows
    bank.enqueue(torch.arange(14.0).view(7, 2), torch.arange(7))
    assert sorted(bank.labels.tolist()) == [2, 3, 4, 5, 6]


def test_bank_of_one_keeps_the_newest_and_smaller_is_refused():
    bank = FeatureBank(size=1, channels=1)
    bank.enqueue(torch.tensor([[1.0], [2.0]]), torch.tensor([1, 2]))
    assert bank.labels.tolist() == [2] and bank.pointer.item() == 0
    with pytest.raises(ValueError, match='size >= 1, got 0'):
        FeatureBank(size=0, channels=1)


def test_a_bank_of_another_width_or_a_fractional_size_is_refused():
    """Before: an indexing RuntimeError at the first enqueue
    (``bank_channels=32`` under 64-channel features) and a TypeError
    traceback (``bank_size=2.5``)."""
    with pytest.raises(ConfigError, match=r'whole number size >= 1, got 2\.5'):
        FeatureBank(size=2.5, channels=1)
    loss = CategoryStructureLoss(
        num_classes=4, filter_correct=False, bank_size=8, bank_channels=2
    )
    features, logits = torch.zeros(2, 3), torch.zeros(2, 4)
    with pytest.raises(
        ConfigError,
        match=r'keeps 2-channel features \(bank_channels=2\), but the '
        'recorded features have 3 channels: set bank_channels=3$',
    ):
        loss.structure_loss(
            features, features.clone(), logits, logits, torch.tensor([0, 1])
        )
    assert loss.banks['student'].labels.eq(-1).all()  # nothing written


@pytest.mark.parametrize('world_size', [2, 3])
def test_bank_enqueues_every_rank_in_rank_order(world_size):
    """So that the banks of all ranks stay the same (rank r's rows are
    stood in for by the local rows plus 10 r)."""
    from unittest import mock

    bank = FeatureBank(size=8, channels=1)
    rows = torch.tensor([[1.0], [2.0]])

    def all_gather(x):
        return [x + 10 * rank for rank in range(world_size)]

    with (
        mock.patch.object(dist, 'get_world_size', return_value=world_size),
        mock.patch.object(dist, 'all_gather', side_effect=all_gather),
    ):
        bank.enqueue(rows, torch.tensor([0, 1]))
    feats, labels = bank.stored()
    expected = [1.0 + 10 * r + i for r in range(world_size) for i in (0, 1)]
    assert feats[:, 0].tolist() == expected
    assert labels.tolist() == [
        r * 10 + i for r in range(world_size) for i in (0, 1)
    ]


def test_bank_round_trips_through_a_state_dict():
    bank = FeatureBank(size=4, channels=3)
    bank.enqueue(torch.randn(3, 3), torch.tensor([0, 1, 1]))
    restored = FeatureBank(size=4, channels=3)
    restored.load_state_dict(bank.state_dict())
    for a, b in zip(restored.stored(), bank.stored()):
        assert torch.equal(a, b)
    assert restored.pointer.item() == 3


# --- CSKD against its official code ---------------------------------------


def official_cskd(tf, sf, t_out, s_out, label, num_classes):
    """CSKD's train_cifar.py loss terms (filter on), as loops, float64."""

    def cluster(feature, lab):
        groups = [[] for _ in range(num_classes)]
        for i in range(len(feature)):
            groups[lab[i]].append(feature[i])
        centers = [sum(g) / len(g) if g else None for g in groups]
        valid = [c for c in centers if c is not None]
        return torch.stack([centers[y] for y in lab]), torch.stack(valid)

    def cluster_filter(feature, pred, lab):
        groups = [[] for _ in range(num_classes)]
        for i in range(len(feature)):
            if pred[i] == lab[i]:
                groups[lab[i]].append(feature[i])
        return torch.stack(
            [
                sum(groups[lab[i]]) / len(groups[lab[i]])
                if groups[lab[i]]
                else feature[i]
                for i in range(len(feature))
            ]
        )

    def correlation(feature):
        flat = feature.flatten(1)
        rows = []
        for i in range(len(flat)):
            rows.append(
                torch.stack(
                    [
                        (flat[i] * flat[j]).sum()
                        / flat[i].norm()
                        / flat[j].norm()
                        for j in range(len(flat))
                    ]
                )
            )
        return torch.stack(rows)

    mse = F.mse_loss
    t_pred, s_pred = t_out.argmax(1), s_out.argmax(1)
    TF = cluster_filter(tf, t_pred, label)
    SF = cluster_filter(sf, s_pred, label)
    _, t_centers = cluster(tf, label)
    _, s_centers = cluster(sf, label)
    T_OUT, t_logits = cluster(t_out, label)
    S_OUT, s_logits = cluster(s_out, label)
    center, _ = cluster(s_out, label)
    size = TF[0].numel()
    intra = 0.002 * (
        mse(tf - TF, sf - SF) / size + mse(t_out - T_OUT, s_out - S_OUT) / 10
    ) + 0.1 * mse(s_out, center)
    t_cor, s_cor = correlation(t_centers), correlation(s_centers)
    tl_cor, sl_cor = correlation(t_logits), correlation(s_logits)
    inter = 0.04 * (
        mse(t_cor, s_cor) / t_cor.size(1)
        + mse(tl_cor, sl_cor) / tl_cor.size(1)
    )
    return intra + inter + 0.1 * 1e-5 * mse(t_out, s_out)


def test_category_structure_loss_equals_the_official_code():
    torch.manual_seed(0)
    labels = torch.tensor([0, 1, 1, 2, 2, 2, 5, 0])
    tf, sf = torch.randn(8, 4, 3, 3), torch.randn(8, 4, 3, 3)
    t_out, s_out = torch.randn(8, 10), torch.randn(8, 10)
    t_out[[0, 1, 3, 4]] += 10 * F.one_hot(labels[[0, 1, 3, 4]], 10)  # some
    s_out[[1, 5]] += 10 * F.one_hot(labels[[1, 5]], 10)  # correct ones
    loss = CategoryStructureLoss(num_classes=10)
    value = loss(sf, tf, s_out, t_out, samples(labels))
    expected = official_cskd(
        tf.double(), sf.double(), t_out.double(), s_out.double(), labels, 10
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_filtered_intra_term_uses_the_correct_samples_only():
    """The intra-class term alone (other weights 0), against the official
    cluster_filter: centroids of the correctly classified samples."""
    torch.manual_seed(0)
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    f_t, f_s = torch.randn(6, 3), torch.randn(6, 3)
    t_out, s_out = torch.randn(6, 4), torch.randn(6, 4)
    s_out.requires_grad_()
    # teacher right on samples 0, 1, 3 only; student on 0, 2, 4, 5 only
    sign_t = torch.tensor([1.0, 1, -1, 1, -1, -1])[:, None]
    sign_s = torch.tensor([1.0, -1, 1, -1, 1, 1])[:, None]
    t_out += 10 * sign_t * F.one_hot(labels, 4)
    s_out = s_out + 10 * sign_s * F.one_hot(labels, 4)
    loss = CategoryStructureLoss(
        num_classes=4, center_weight=0, inter_weight=0, logit_mse_weight=0
    )
    value = loss.structure_loss(f_s, f_t, s_out, t_out, labels)

    def centroid_of_correct(features, rows):
        """Per sample: the mean of ``rows`` of its class, else itself."""
        out = []
        for i in range(6):
            same = [j for j in rows if labels[j] == labels[i]]
            out.append(features[same].mean(0) if same else features[i])
        return torch.stack(out)

    c_t = centroid_of_correct(f_t, [0, 1, 3])
    c_s = centroid_of_correct(f_s, [0, 2, 4, 5])

    def class_mean(x):
        return torch.stack([x[labels == labels[i]].mean(0) for i in range(6)])

    # the student's logit centroids are constants, as its feature ones
    expected = 0.002 * (
        F.mse_loss(f_s - c_s, f_t - c_t) / 3
        + F.mse_loss(
            s_out - class_mean(s_out).detach(), t_out - class_mean(t_out)
        )
        / 4
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    (grad,) = torch.autograd.grad(value, s_out)
    (hand_grad,) = torch.autograd.grad(expected, s_out)
    torch.testing.assert_close(grad, hand_grad)


# --- centroids over bank and batch ----------------------------------------


def test_bank_centroids_count_the_bank_but_grad_only_the_batch():
    loss = CategoryStructureLoss(
        num_classes=4, filter_correct=False, bank_size=8, bank_channels=2
    )
    # the bank already holds class 3 (absent from the batch) and class 0
    stored = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    for bank in loss.banks.values():
        bank.enqueue(stored, torch.tensor([3, 3, 0]))
    f_s = torch.tensor([[1.0, 2.0], [2.0, 0.0]], requires_grad=True)
    f_t = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1])
    logits = torch.zeros(2, 4)
    value = loss.structure_loss(f_s, f_t, logits, logits.clone(), labels)

    # by hand: centroids of class 0 mix bank and batch; class 2 is absent
    c_s = torch.stack(
        [
            (stored[2] + f_s[0]) / 2,  # class 0
            f_s[1],  # class 1
            stored[:2].mean(0),  # class 3, bank only
        ]
    )
    c_t = torch.stack([(stored[2] + f_t[0]) / 2, f_t[1], stored[:2].mean(0)])
    intra = F.mse_loss(f_s - c_s[[0, 1]].detach(), f_t - c_t[[0, 1]]) / 2
    unit_s, unit_t = F.normalize(c_s, dim=1), F.normalize(c_t, dim=1)
    inter = F.mse_loss(unit_s @ unit_s.t(), unit_t @ unit_t.t()) / 3
    # zero logits: their residuals, pull and relations all vanish
    logit_inter = 0.0  # one logit centroid per class, all zero vectors
    expected = 0.002 * intra + 0.04 * (inter + logit_inter)
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)
    value.backward()
    # the residual's centroid is a constant: its gradient is that of the
    # hand formula above, in which it is detached
    (hand_grad,) = torch.autograd.grad(0.002 * intra + 0.04 * inter, f_s)
    torch.testing.assert_close(f_s.grad, hand_grad)
    assert not loss.banks['student'].features.requires_grad
    # the batch was enqueued after the loss
    assert loss.banks['student'].stored()[1].tolist() == [3, 3, 0, 0, 1]


def test_cam_structure_loss_runs_with_an_empty_bank_and_fills_it():
    torch.manual_seed(0)
    loss = CAMCategoryStructureLoss(
        num_classes=3, bank_channels=6, bank_size=4
    )
    map_s, proj_s = torch.rand(2, 4, 5, 5), torch.rand(2, 6, 5, 5)
    map_t = torch.rand(2, 6, 5, 5)
    value = loss(
        map_s,
        proj_s.requires_grad_(),
        torch.randn(3, 4),
        map_t,
        torch.randn(3, 6),
        torch.randn(2, 3),
        torch.randn(2, 3),
        samples([2, 2]),
    )
    assert torch.isfinite(value)
    value.backward()
    assert proj_s.grad.abs().sum() > 0
    assert loss.banks['teacher'].stored()[1].tolist() == [2, 2]


def test_cam_structure_loss_pools_each_model_with_its_own_cam():
    torch.manual_seed(0)
    map_s, proj_s = torch.rand(2, 4, 3, 3), torch.rand(2, 6, 3, 3)
    map_t = torch.rand(2, 6, 3, 3)
    w_s, w_t = torch.rand(3, 4) - 0.2, torch.rand(3, 6) - 0.2
    preds_s, preds_t = torch.randn(2, 3), torch.randn(2, 3)
    labels = [2, 1]
    loss = CAMCategoryStructureLoss(num_classes=3, bank_channels=6)
    value = loss(
        map_s, proj_s, w_s, map_t, w_t, preds_s, preds_t, samples(labels)
    )

    def pooled(fmap, cam_map, cam_weight):
        """Average of ``fmap`` over positions, weighted by the CAM of the
        label that ``cam_map`` and ``cam_weight`` give, in loops."""
        rows = []
        for i, y in enumerate(labels):
            cam = [
                max(0.0, float((cam_weight[y] * cam_map[i, :, h, x]).sum()))
                for h in range(3)
                for x in range(3)
            ]
            total = sum(cam)
            flat = fmap[i].flatten(1)
            rows.append(sum(c / total * flat[:, k] for k, c in enumerate(cam)))
        return torch.stack(rows)

    expected = CategoryStructureLoss(
        num_classes=3, filter_correct=False
    ).structure_loss(
        pooled(proj_s, map_s, w_s),  # the student's CAM on its projection
        pooled(map_t, map_t, w_t),  # the teacher's own CAM
        preds_s,
        preds_t,
        torch.tensor(labels),
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_cam_structure_loss_resizes_a_smaller_student_map():
    """The student's projected map and its CAM, both 2 x 2, are resized to
    the teacher's 4 x 4 positions before the CAM weights the pooling; the
    bank keeps 1024 features per model unless told otherwise."""
    torch.manual_seed(2)
    map_s, proj_s = torch.rand(2, 4, 2, 2), torch.rand(2, 6, 2, 2)
    map_t = torch.rand(2, 6, 4, 4)
    w_s, w_t = torch.rand(3, 4), torch.rand(3, 6)  # positive: CAMs > 0
    preds_s, preds_t = torch.randn(2, 3), torch.randn(2, 3)
    labels = [0, 2]
    loss = CAMCategoryStructureLoss(num_classes=3, bank_channels=6)
    assert loss.banks['student'].size == loss.banks['teacher'].size == 1024
    value = loss(
        map_s, proj_s, w_s, map_t, w_t, preds_s, preds_t, samples(labels)
    )

    def cam(fmap, weight, y, side):
        return [
            [max(0.0, float(weight[y] @ fmap[:, h, x])) for x in range(side)]
            for h in range(side)
        ]

    def pooled(channels, weights):
        """Each channel's 4 x 4 values averaged with the CAM's weights."""
        flat = [v for line in weights for v in line]
        return [
            sum(w * v for w, v in zip(flat, [v for ln in c for v in ln]))
            / sum(flat)
            for c in channels
        ]

    rows_s, rows_t = [], []
    for i, y in enumerate(labels):
        cam_s = bilinear(cam(map_s[i], w_s, y, 2), 4)
        projected = [bilinear(c.tolist(), 4) for c in proj_s[i]]
        rows_s.append(pooled(projected, cam_s))
        rows_t.append(pooled(map_t[i].tolist(), cam(map_t[i], w_t, y, 4)))
    expected = CategoryStructureLoss(
        num_classes=3, filter_correct=False
    ).structure_loss(
        torch.tensor(rows_s),
        torch.tensor(rows_t),
        preds_s,
        preds_t,
        torch.tensor(labels),
    )
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_filter_and_bank_together_are_refused():
    with pytest.raises(ValueError, match='one or the other'):
        CategoryStructureLoss(4, bank_size=8, bank_channels=2)


# --- Runner ---------------------------------------------------------------


@pytest.mark.slow
def test_icakd_runner_checkpoints_a_filled_bank(fmnist_teacher_ckpt, tmp_path):
    from mmengine.runner import Runner

    runner = Runner.from_cfg(
        tiny_cfg(
            ICAKD_CFG, tmp_path, **{'model.teacher_ckpt': fmnist_teacher_ckpt}
        )
    )
    runner.train()
    state = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)
    prefix = 'distiller.distill_losses.loss_structure.banks.'
    labels = state['state_dict'][prefix + 'student.labels']
    assert (labels >= 0).sum() == 256  # every training image of the run
    scalars = next(tmp_path.glob('*/vis_data/scalars.json')).read_text()
    assert 'distill.loss_cam' in scalars
    assert 'distill.loss_structure' in scalars


@pytest.mark.slow
def test_cskd_runner(fmnist_teacher_ckpt, tmp_path):
    from mmengine.runner import Runner

    config = osp.join(
        REPO, 'configs/cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    )
    Runner.from_cfg(
        tiny_cfg(
            config, tmp_path, **{'model.teacher_ckpt': fmnist_teacher_ckpt}
        )
    ).train()
    scalars = next(tmp_path.glob('*/vis_data/scalars.json')).read_text()
    assert 'distill.loss_cskd' in scalars
