"""SSKD: selection rules, loss values, views pipeline, Runner runs."""

import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import REPO, run_tool, tiny_cfg
from mmsamkd.errors import CheckpointError, ConfigError
from mmsamkd.models.losses import (
    RotatedViewsKD,
    SimilarityKD,
    error_ranked_rows,
)
from mmsamkd.models.utils import rotation_similarity, similarity_targets

SSKD_CFG = osp.join(
    REPO, 'configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
HEAD_CFG = osp.join(
    REPO, 'configs/teachers/resnet14_sskd-head_1xb64_fmnist.py'
)


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def kl_rows(student, teacher, tau):
    """T^2 * mean over rows of KL(softmax(t/T) || softmax(s/T)), float64,
    one row at a time in plain Python."""
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        s_exp = [math.exp(v / tau) for v in s_row]
        t_exp = [math.exp(v / tau) for v in t_row]
        s_sum, t_sum = sum(s_exp), sum(t_exp)
        for s_e, t_e in zip(s_exp, t_exp):
            p, q = t_e / t_sum, s_e / s_sum
            total += p * (math.log(p) - math.log(q))
    return tau**2 * total / len(student)


def published_selection(scores, targets, ratio):
    """SSKD's row selection written as its code does it (argsort ranks)."""
    order = torch.argsort(scores, dim=1, descending=True)
    rank = torch.argmax(torch.eq(order, targets[:, None]).long(), dim=1)
    index = torch.argsort(rank)
    wrong = torch.nonzero(rank, as_tuple=True)[0].numel()
    keep = len(rank) - wrong + int(wrong * ratio)
    return torch.sort(index[:keep])[0]


# --- selection ------------------------------------------------------------


def test_error_ranked_rows_by_hand():
    scores = torch.tensor(
        [
            [3.0, 1.0, 0.0],  # target 0 first: correct
            [3.0, 1.0, 0.0],  # target 2 last: rank 2
            [0.0, 2.0, 1.0],  # target 1 first: correct
            [2.0, 0.0, 1.0],  # target 2 second: rank 1
            [1.0, 0.0, 2.0],  # target 0 second: rank 1
        ]
    )
    targets = torch.tensor([0, 2, 1, 2, 0])
    # 3 wrong rows: keep int(3 * r) of them, best rank first, then row order
    assert error_ranked_rows(scores, targets, 1.0).tolist() == [0, 1, 2, 3, 4]
    assert error_ranked_rows(scores, targets, 0.75).tolist() == [0, 2, 3, 4]
    assert error_ranked_rows(scores, targets, 0.5).tolist() == [0, 2, 3]
    assert error_ranked_rows(scores, targets, 0.0).tolist() == [0, 2]


def test_error_ranked_rows_break_ties_by_row_order_at_batch_size():
    """A batch of 64 images makes 192 rotated rows, where torch's default
    sort no longer keeps tied ranks in row order on this CPU: the rows kept
    must not depend on it (nor differ between CPU and GPU)."""
    generator = torch.Generator().manual_seed(0)
    targets = torch.zeros(192, dtype=torch.long)
    scores = torch.zeros(192, 3)
    wrong = torch.rand(192, generator=generator) < 0.5
    scores[wrong, 1] = 1.0  # class 1 above the target: rank 1, all tied
    kept = error_ranked_rows(scores, targets, 0.5).tolist()
    wrong_rows = wrong.nonzero().flatten().tolist()
    first_half = wrong_rows[: len(wrong_rows) // 2]
    right_rows = (~wrong).nonzero().flatten().tolist()
    assert kept == sorted(right_rows + first_half)


@pytest.mark.parametrize('ratio', [0.0, 0.3, 0.75, 1.0])
def test_error_ranked_rows_equal_the_published_code_without_ties(ratio):
    torch.manual_seed(1)
    scores = torch.randn(60, 7)  # continuous: no ties
    targets = torch.randint(0, 7, (60,))
    # with distinct ranks among the kept boundary the two must agree; the
    # published argsort is unstable on equal ranks, so compare rank sets
    ours = error_ranked_rows(scores, targets, ratio)
    theirs = published_selection(scores, targets, ratio)
    assert len(ours) == len(theirs)

    def ranks(rows):
        target = scores.gather(1, targets[:, None])
        return sorted((scores[rows] > target[rows]).sum(1).tolist())

    assert ranks(ours) == ranks(theirs)


# --- similarity matrix ----------------------------------------------------


def test_rotation_similarity_equals_the_published_expansion():
    torch.manual_seed(0)
    n, k, d = 5, 4, 6
    rep = torch.randn(n * k, d)
    upright = torch.arange(n * k) % k == 0
    # SSKD's code: expand both sides and call cosine_similarity
    nor = rep[upright].unsqueeze(2).expand(-1, -1, (k - 1) * n)
    nor = nor.transpose(0, 2)
    aug = rep[~upright].unsqueeze(2).expand(-1, -1, n)
    expected = F.cosine_similarity(aug, nor, dim=1)
    assert torch.allclose(rotation_similarity(rep, k), expected, atol=1e-6)
    assert similarity_targets(n, k).tolist() == [
        i for i in range(n) for _ in range(k - 1)
    ]


# --- loss values ----------------------------------------------------------


def test_upright_kd_value():
    torch.manual_seed(0)
    student, teacher = torch.randn(12, 5), torch.randn(12, 5)
    loss = RotatedViewsKD(views='upright', tau=4, loss_weight=0.9)
    expected = 0.9 * kl_rows(student[0::4], teacher[0::4], 4)
    assert loss(student, teacher).item() == pytest.approx(expected, rel=1e-5)


def test_rotated_views_kd_keeps_the_rows_the_teacher_ranks_well():
    # 2 images x 4 views, 3 classes; labels 0 and 2
    teacher = torch.tensor(
        [
            [9.0, 0.0, 0.0],  # upright views: never used here
            [5.0, 1.0, 0.0],  # image 0 rotated: label 0 first (correct)
            [1.0, 5.0, 0.0],  # label 0 second: rank 1
            [0.0, 5.0, 1.0],  # label 0 third: rank 2
            [0.0, 0.0, 9.0],
            [0.0, 1.0, 5.0],  # image 1 rotated: label 2 first (correct)
            [5.0, 0.0, 1.0],  # label 2 second: rank 1
            [1.0, 5.0, 2.0],  # label 2 second: rank 1
        ]
    )
    torch.manual_seed(3)
    student = torch.randn(8, 3)
    loss = RotatedViewsKD(
        views='rotated', tau=4, loss_weight=2.7, wrong_keep_ratio=0.5
    )
    value = loss(student, teacher, samples([0, 2]))
    # 4 wrong rotated rows, keep 2 with the best ranks: rows 2 and 6 (rank
    # 1, row order before row 7), with the correct rows 1 and 5
    rows = [1, 2, 5, 6]
    expected = 2.7 * kl_rows(student[rows], teacher[rows], 4)
    assert value.item() == pytest.approx(expected, rel=1e-5)

    all_rows = RotatedViewsKD(views='rotated', tau=4, loss_weight=2.7)
    rotated = [1, 2, 3, 5, 6, 7]
    expected = 2.7 * kl_rows(student[rotated], teacher[rotated], 4)
    assert all_rows(student, teacher).item() == pytest.approx(
        expected, rel=1e-5
    )


def test_similarity_kd_value_and_gradient():
    torch.manual_seed(0)
    n, k = 6, 4
    student = torch.randn(n * k, 5, requires_grad=True)
    teacher = torch.randn(n * k, 8)  # another width: only angles compare
    loss = SimilarityKD(tau=0.5, loss_weight=10, wrong_keep_ratio=0.75)
    value = loss(student, teacher)

    def cosine_matrix(rep):
        rep = rep.detach().double().numpy()
        rows = []
        for i in range(n):
            for j in range(1, k):
                a = rep[i * k + j]
                rows.append(
                    [
                        a
                        @ rep[m * k]
                        / (np.linalg.norm(a) * np.linalg.norm(rep[m * k]))
                        for m in range(n)
                    ]
                )
        return np.array(rows)

    sim_s, sim_t = cosine_matrix(student), cosine_matrix(teacher)
    targets = [i for i in range(n) for _ in range(k - 1)]
    ranks = [int((row > row[t]).sum()) for row, t in zip(sim_t, targets)]
    wrong = [r for r in range(len(ranks)) if ranks[r] > 0]
    kept_wrong = sorted(wrong, key=lambda r: (ranks[r], r))
    kept_wrong = kept_wrong[: int(len(wrong) * 0.75)]
    rows = sorted([r for r in range(len(ranks)) if ranks[r] == 0] + kept_wrong)
    assert 0 < len(rows) < len(ranks)  # the example exercises selection
    expected = 10 * kl_rows(
        torch.from_numpy(sim_s[rows]), torch.from_numpy(sim_t[rows]), 0.5
    )
    assert value.item() == pytest.approx(expected, rel=1e-4)
    value.backward()
    assert student.grad.abs().sum() > 0


def test_selected_rows_kl_for_no_row_and_for_one_row():
    """No row kept (the teacher ranks every target badly) is a zero term
    that still reaches the student's graph; one row is that row's KL."""
    from mmsamkd.models.losses.sskd_loss import _selected_kl

    preds_s = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    preds_t = torch.tensor([[0.0, 1.0], [3.0, 0.0]])
    none = _selected_kl(
        preds_s, preds_t, torch.tensor([], dtype=torch.long), 2
    )
    assert none.item() == 0 and none.requires_grad
    one = _selected_kl(preds_s, preds_t, torch.tensor([1]), 2)
    p = [math.exp(1.5) / (math.exp(1.5) + 1), 1 / (math.exp(1.5) + 1)]
    q = [1 / (1 + math.exp(1.0)), math.exp(1.0) / (1 + math.exp(1.0))]
    expected = 4 * sum(a * math.log(a / b) for a, b in zip(p, q))
    assert one.item() == pytest.approx(expected, rel=1e-6)


def test_loss_arguments_are_checked():
    with pytest.raises(ConfigError, match='views must be one of'):
        RotatedViewsKD(views='all')
    with pytest.raises(ConfigError, match='share of rows'):
        SimilarityKD(wrong_keep_ratio=1.5)
    with pytest.raises(ConfigError, match='share of rows'):
        SimilarityKD(wrong_keep_ratio=-0.1)
    for bound in (0, 1):  # keep none of the misranked rows, or all
        assert SimilarityKD(wrong_keep_ratio=bound).wrong_keep_ratio == bound
    ranked = RotatedViewsKD(views='rotated', wrong_keep_ratio=0.5)
    with pytest.raises(ConfigError, match='needs the labels'):
        ranked(torch.randn(8, 3), torch.randn(8, 3))
    with pytest.raises(ValueError, match='whole groups of 4 views'):
        RotatedViewsKD()(torch.randn(6, 3), torch.randn(6, 3))


# --- the whole student loss against SSKD's formula --------------------------


def build_sskd(**options):
    cfg = Config.fromfile(SSKD_CFG)
    cfg.merge_from_dict(options)
    init_default_scope('mmpretrain')
    cfg.model.teacher_ckpt = None
    return MODELS.build(cfg.model)


def test_student_loss_equals_the_published_formula():
    torch.manual_seed(0)
    algorithm = build_sskd()
    algorithm.train()
    n, k = 8, 4
    views = torch.randn(n * k, 1, 28, 28)
    labels = torch.arange(n) % 10
    losses = algorithm.loss(views, samples(labels))

    student, teacher = algorithm.student, algorithm.teacher
    with torch.no_grad():
        s_logits, s_proj = student.forward_views(views)
        t_logits, t_proj = teacher.forward_views(views)
    nor = torch.arange(n * k) % k == 0
    # SSKD's student.py, term by term (weights 0.1, 0.9, 2.7, 10)
    ce = F.cross_entropy(s_logits[nor], labels)
    kd = kl_rows(s_logits[nor], t_logits[nor], 4)
    aug_labels = labels.repeat_interleave(k - 1)
    tf_rows = published_selection(t_logits[~nor], aug_labels, 1.0)
    tf = kl_rows(s_logits[~nor][tf_rows], t_logits[~nor][tf_rows], 4)
    t_sim = rotation_similarity(t_proj, k)
    s_sim = rotation_similarity(s_proj, k)
    ss_rows = published_selection(t_sim, similarity_targets(n, k), 0.75)
    ss = kl_rows(s_sim[ss_rows], t_sim[ss_rows], 0.5)

    assert losses['student.loss_cls'].item() == pytest.approx(
        0.1 * ce.item(), rel=1e-5
    )
    # a random student's similarity rows are nearly flat: their KL is small
    # and float32 cancellation leaves about 1e-3 of it
    for key, expected, rel in (
        ('kd', 0.9 * kd, 1e-4),
        ('tf', 2.7 * tf, 1e-4),
        ('ss', 10 * ss, 2e-3),
    ):
        assert losses[f'distill.loss_{key}'].item() == pytest.approx(
            expected, rel=rel
        ), key
    assert 'student.loss_contrast' not in losses  # weight 0 on the student


def test_plain_teacher_and_mismatched_rotations_are_clear_errors():
    plain = Config.fromfile(SSKD_CFG).model.architecture
    plain = dict(plain, type='ImageClassifier')
    plain.pop('contrastive_weight')
    with pytest.raises(ConfigError, match='teacher .* has no projection'):
        build_sskd(**{'model.teacher': plain})
    with pytest.raises(ConfigError, match='expects 4 views per image'):
        build_sskd(
            **{
                'model.architecture.rotations': (0, 2),
                'model.teacher.rotations': (0, 2),
            }
        )


def test_plain_teacher_checkpoint_names_the_head_stage(
    fmnist_teacher_ckpt, tmp_path
):
    from mmengine.runner import Runner

    cfg = tiny_cfg(
        SSKD_CFG, tmp_path, **{'model.teacher_ckpt': fmnist_teacher_ckpt}
    )
    with pytest.raises(
        CheckpointError, match='no projection head .* it is a plain teacher'
    ):
        Runner.from_cfg(cfg)


def test_an_hsakd_teacher_checkpoint_is_named_as_one(tmp_path):
    """Before: an HSAKD teacher's checkpoint was called a plain one."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmpretrain.registry import MODELS

    init_default_scope('mmpretrain')
    hsakd = (
        f'{REPO}/configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    )
    teacher = MODELS.build(Config.fromfile(hsakd).model.teacher)
    ssa = tmp_path / 'ssa.pth'  # an HSAKD teacher's weights, untrained
    torch.save({'meta': {}, 'state_dict': teacher.state_dict()}, ssa)
    cfg = tiny_cfg(SSKD_CFG, tmp_path, **{'model.teacher_ckpt': str(ssa)})
    with pytest.raises(
        CheckpointError,
        match=r'it is an HSAKD-family teacher \(self-supervised branches\), '
        'and SSKD',
    ):
        Runner.from_cfg(cfg)


# --- classifier and views -------------------------------------------------


def test_frozen_mode_trains_only_the_projection_head():
    from mmengine.config import Config as Cfg

    model_cfg = Cfg.fromfile(HEAD_CFG).model
    init_default_scope('mmpretrain')
    model = MODELS.build(model_cfg)
    model.train()
    assert not model.backbone.training and model.proj_head.training
    losses = model.loss(torch.randn(4, 1, 28, 28), samples([0, 1, 2, 3]))
    assert set(losses) == {'loss_contrast', 'contrast_top1'}
    losses['loss_contrast'].backward()
    trained = {n for n, p in model.named_parameters() if p.grad is not None}
    assert trained and all(n.startswith('proj_head.') for n in trained)


def test_contrastive_loss_is_ce_over_the_similarity_rows():
    from mmsamkd.models import SSKDClassifier

    cfg = Config.fromfile(SSKD_CFG).model.teacher
    cfg.pop('type')
    cfg.pop('_scope_')
    torch.manual_seed(0)
    model = SSKDClassifier(**cfg)
    model.train()
    views = torch.randn(12, 1, 28, 28)
    losses = model.loss(views, samples([0, 1, 2]))
    _, proj = model.forward_views(views)
    sim = rotation_similarity(proj, 4).detach().double()
    expected = 0.0
    for row, target in zip(sim.tolist(), [0, 0, 0, 1, 1, 1, 2, 2, 2]):
        expected += math.log(sum(math.exp(v) for v in row)) - row[target]
    assert losses['loss_contrast'].item() == pytest.approx(
        expected / 9, rel=1e-5
    )
    # the logged share of rotated views whose most similar upright view is
    # their own image's
    found = [
        max(range(3), key=row.__getitem__) == target
        for row, target in zip(sim.tolist(), [0, 0, 0, 1, 1, 1, 2, 2, 2])
    ]
    assert losses['contrast_top1'].item() == pytest.approx(sum(found) / 9)
    assert 0 < sum(found) < 9  # neither all nor none: the order shows
    with pytest.raises(ValueError, match='4 views each'):
        model.loss(torch.randn(5, 1, 28, 28), samples([0, 1]))


def test_rotated_views_crop_each_view_on_its_own():
    from mmsamkd.datasets import RotatedViews

    np.random.seed(0)
    image = np.random.randint(0, 255, (8, 8), dtype=np.uint8)
    padded = np.pad(image, 2)
    transform = RotatedViews(
        transforms=[dict(type='RandomCrop', crop_size=8, padding=2)]
    )
    offsets_differ = False
    for _ in range(10):
        results = transform(dict(img=image.copy()))
        views = results['img']
        assert views.shape == (4, 1, 8, 8)  # (K, C, H, W)
        assert results['img_shape'] == (8, 8)
        offsets = []
        for k, view in enumerate(views):
            upright_view = np.rot90(view[0], -k)  # undo the turn
            found = [
                (y, x)
                for y in range(5)
                for x in range(5)
                if np.array_equal(padded[y : y + 8, x : x + 8], upright_view)
            ]
            assert found, 'a view is not a crop of the rotated image'
            offsets.append(found[0])
        offsets_differ |= len(set(offsets)) > 1
    assert offsets_differ


def test_rotated_views_refuse_what_would_not_stack():
    from mmsamkd.datasets import RotatedViews

    with pytest.raises(ValueError, match=r'square images, got \(8, 6\)'):
        RotatedViews()(dict(img=np.zeros((8, 6), np.uint8)))

    calls = []

    def crop_alternately(results):  # 8 x 8 views, then 6 x 6, and so on
        calls.append(1)
        size = 8 if len(calls) % 2 else 6
        return dict(results, img=results['img'][:size, :size])

    with pytest.raises(ValueError, match='views of shapes'):
        RotatedViews([crop_alternately])(dict(img=np.zeros((8, 8), np.uint8)))


@pytest.mark.parametrize('collate', ['pseudo_collate', 'default_collate'])
def test_views_preprocessor_stacks_views_image_major(collate):
    from mmengine.dataset import default_collate, pseudo_collate

    init_default_scope('mmpretrain')
    preprocessor = MODELS.build(
        dict(type='ViewsDataPreprocessor', mean=[1.0], std=[2.0])
    )
    # sample i's view k is filled with 10 * i + k, as RotatedViews and
    # PackInputs give it: one (K, C, H, W) tensor per sample
    batch = [
        dict(
            inputs=torch.stack(
                [torch.full((1, 2, 2), 10 * i + k) for k in range(4)]
            ).to(torch.uint8),
            data_samples=samples([i])[0],
        )
        for i in range(3)
    ]
    collate_fn = dict(
        pseudo_collate=pseudo_collate, default_collate=default_collate
    )[collate]
    data = preprocessor(collate_fn(batch), training=True)
    assert data['inputs'].shape == (12, 1, 2, 2)
    expected = [(10 * i + k - 1) / 2 for i in range(3) for k in range(4)]
    assert data['inputs'][:, 0, 0, 0].tolist() == expected
    assert len(data['data_samples']) == 3
    # a batch of one sample (the last of an epoch)
    data = preprocessor(collate_fn(batch[2:]), training=True)
    assert data['inputs'][:, 0, 0, 0].tolist() == expected[8:]
    # plain test batches are untouched
    plain = preprocessor(
        dict(inputs=[torch.ones(1, 2, 2)] * 2, data_samples=samples([0, 1]))
    )
    assert plain['inputs'].shape == (2, 1, 2, 2)


def test_views_preprocessor_mixes_only_training_batches():
    init_default_scope('mmpretrain')
    preprocessor = MODELS.build(
        dict(
            type='ViewsDataPreprocessor',
            num_classes=2,
            batch_augments=dict(augments=dict(type='Mixup', alpha=1.0)),
        )
    )
    torch.manual_seed(0)
    inputs = [torch.rand(1, 2, 2) for _ in range(2)]  # a test pipeline's

    def run(**training):
        batch = dict(inputs=list(inputs), data_samples=samples([0, 1]))
        return preprocessor(batch, **training)['inputs']

    # a validation batch (no training flag) is left as it is
    assert torch.equal(run(), torch.stack(inputs))
    assert not torch.equal(run(training=True), torch.stack(inputs))
    # before: an IndexError traceback from Mixup, 8 images for 2 labels
    views = dict(
        inputs=[torch.rand(4, 1, 2, 2)] * 2, data_samples=samples([0, 1])
    )
    assert preprocessor(views)['inputs'].shape == (8, 1, 2, 2)
    with pytest.raises(ConfigError, match='Remove batch_augments'):
        preprocessor(views, training=True)
    views['inputs'] = torch.stack(views['inputs'])  # default_collate's
    with pytest.raises(ConfigError, match='Remove batch_augments'):
        preprocessor(views, training=True)


def test_views_preprocessor_refuses_batches_of_unknown_order():
    init_default_scope('mmpretrain')
    preprocessor = MODELS.build(
        dict(type='ViewsDataPreprocessor', mean=[1.0], std=[2.0])
    )
    views = [[torch.ones(1, 2, 2)] * 4] * 2  # lists of views: order unknown
    with pytest.raises(ConfigError, match='nested lists.*RotatedViews'):
        preprocessor(dict(inputs=views, data_samples=samples([0, 1])), True)
    stacks = [torch.ones(4, 1, 2, 2)] * 3  # 3 view stacks for 2 samples
    with pytest.raises(ConfigError, match='3 view stacks for 2 samples'):
        preprocessor(dict(inputs=stacks, data_samples=samples([0, 1])), True)


# --- Runner runs ----------------------------------------------------------


@pytest.mark.slow
def test_head_stage_then_sskd_student_runner(
    fmnist_sskd_teacher_ckpt, fmnist_teacher_ckpt, tmp_path
):
    from mmengine.runner import Runner

    plain = torch.load(fmnist_teacher_ckpt, weights_only=False)['state_dict']
    head = torch.load(fmnist_sskd_teacher_ckpt, weights_only=False)
    head = head['state_dict']
    # stage 2 left the loaded teacher untouched (BN statistics included)
    for key, value in plain.items():
        assert torch.equal(head[key], value), key
    assert any(k.startswith('proj_head.') for k in head)

    work_dir = tmp_path / 'sskd'
    runner = Runner.from_cfg(
        tiny_cfg(
            SSKD_CFG,
            work_dir,
            **{'model.teacher_ckpt': fmnist_sskd_teacher_ckpt},
        )
    )
    assert torch.equal(
        runner.model.teacher.proj_head.mlp[0].weight,
        head['proj_head.mlp.0.weight'],
    )
    runner.train()
    scalars = next(work_dir.glob('*/vis_data/scalars.json')).read_text()
    for key in ('distill.loss_kd', 'distill.loss_tf', 'distill.loss_ss'):
        assert key in scalars

    # the deployed student has no projection head
    out = tmp_path / 'student.pth'
    result = run_tool(
        'export_student.py', work_dir / 'epoch_1.pth', '--out', out
    )
    assert result.returncode == 0, result.stderr[-3000:]
    exported = torch.load(out, weights_only=False)['state_dict']
    assert not any(k.startswith('proj_head') for k in exported)
    plain_cfg = Config.fromfile(tmp_path / 'student.py')
    assert plain_cfg.model.type == 'ImageClassifier'
    assert plain_cfg.model.data_preprocessor.type.endswith(
        'ClsDataPreprocessor'
    )
    init_default_scope('mmpretrain')
    MODELS.build(plain_cfg.model).load_state_dict(exported, strict=True)


def test_the_exported_config_is_the_plain_students():
    """export_student.py's config, from the one a checkpoint stores: one
    image per sample (RotatedViews' own transforms), the algorithm's
    normalisation in MMPretrain's preprocessor, and nothing that would
    load or resume the distillation run."""
    from mmsamkd.student_export import student_config

    cfg = Config.fromfile(SSKD_CFG)
    cfg.load_from, cfg.resume = 'work_dirs/sskd/epoch_3.pth', True
    cfg.model.teacher_ckpt = 'teacher.pth'
    plain = student_config(cfg.pretty_text)
    steps = [step.type for step in plain.train_dataloader.dataset.pipeline]
    assert steps == ['RandomFlip', 'RandomCrop', 'PackInputs']
    assert plain.model.type == 'ImageClassifier'
    preprocessor = plain.model.data_preprocessor
    assert preprocessor.type == 'mmpretrain.ClsDataPreprocessor'
    assert (preprocessor.mean, preprocessor.std) == ([72.94], [90.02])
    assert (plain.load_from, plain.resume) == (None, False)
    assert 'teacher_ckpt' not in plain and plain.default_scope == 'mmpretrain'
