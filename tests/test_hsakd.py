"""HSAKD distillation: loss values, config checks, real Runner runs."""

import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

from conftest import REPO, run_tool, tiny_cfg
from mmsamkd.errors import ConfigError

HSAKD_CFG = osp.join(
    REPO, 'configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
SSA_TEACHER_CFG = osp.join(
    REPO, 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
)
ZOO = Config.fromfile(
    osp.join(REPO, 'configs/_base_/models/cifar_zoo.py')
).cifar_zoo
HSAKD_BASE = Config.fromfile(osp.join(REPO, 'configs/_base_/models/hsakd.py'))


def build_algorithm(model_cfg):
    init_default_scope('mmpretrain')
    model_cfg.teacher_ckpt = None
    return MODELS.build(model_cfg)


def kl(student, teacher, tau):
    """T^2 * mean over rows of KL(softmax(t/T) || softmax(s/T))."""
    p = F.softmax(teacher / tau, dim=1)
    log_q = F.log_softmax(student / tau, dim=1)
    return tau**2 * (p * (p.log() - log_q)).sum(1).mean()


def test_hsakd_losses_match_independent_computation():
    torch.manual_seed(0)
    algorithm = build_algorithm(Config.fromfile(HSAKD_CFG).model)
    algorithm.train()  # teacher stays in eval (teacher_norm_eval)
    images = torch.randn(3, 1, 28, 28)
    labels = torch.tensor([4, 0, 9])
    data = [DataSample().set_gt_label(int(y)) for y in labels]
    losses = algorithm(images, data, mode='loss')

    views = torch.stack(
        [
            torch.rot90(images[i], k, dims=(1, 2))
            for i in range(3)
            for k in range(4)
        ]
    )
    with torch.no_grad():
        t_logits, t_branches = algorithm.teacher.forward_views(views)
        s_logits, s_branches = algorithm.architecture.forward_views(views)
    assert torch.allclose(
        losses['student.loss_cls'],
        F.cross_entropy(s_logits[[0, 4, 8]], labels),
    )
    assert torch.allclose(
        losses['distill.loss_logits'], kl(s_logits, t_logits, 3), atol=1e-6
    )
    for i in range(2):
        assert torch.allclose(
            losses[f'distill.loss_branch{i}'],
            kl(s_branches[i], t_branches[i], 3),
            atol=1e-6,
        )
    assert not any('student.loss_branch' in k for k in losses)


def test_student_branches_learn_only_from_kl():
    algorithm = build_algorithm(Config.fromfile(HSAKD_CFG).model)
    algorithm.train()
    data = [DataSample().set_gt_label(i) for i in range(2)]
    losses = algorithm(torch.randn(2, 1, 28, 28), data, mode='loss')
    losses['student.loss_cls'].backward()
    # the CE on upright views never reaches the student's branches
    assert all(
        p.grad is None for p in algorithm.architecture.ss_branches.parameters()
    )
    assert all(p.grad is None for p in algorithm.teacher.parameters())


def pair_cfg(teacher, student, distiller):
    model = Config.fromfile(HSAKD_CFG).model
    model.teacher = dict(ZOO[teacher], type='SelfSupervisedClassifier')
    model.architecture = dict(
        ZOO[student], type='SelfSupervisedClassifier', branch_loss_weight=0
    )
    model.data_preprocessor.update(
        num_classes=100, mean=[0.0] * 3, std=[1.0] * 3
    )
    model.distiller = HSAKD_BASE[distiller]
    return model


def test_branch_count_mismatch_is_a_clear_error():
    # vgg13 has 4 branches, resnet8 has 3
    with pytest.raises(
        ConfigError,
        match='student has 3 auxiliary branches'
        ' but the distiller records branches',
    ):
        build_algorithm(
            pair_cfg('vgg13', 'resnet8', 'hsakd_distiller_4branches')
        )
    with pytest.raises(ConfigError, match='teacher has 4 auxiliary'):
        build_algorithm(
            pair_cfg('vgg13', 'resnet8', 'hsakd_distiller_3branches')
        )


def test_teacher_and_student_branch_counts_must_match():
    """A custom distiller recording each side's own branches passes the
    per-side checks; branch i of the student must still have a branch i
    of the teacher to learn from."""
    model = pair_cfg('vgg13', 'resnet8', 'hsakd_distiller_3branches')
    model.distiller.teacher_recorders = HSAKD_BASE[
        'hsakd_distiller_4branches'
    ].teacher_recorders
    with pytest.raises(
        ConfigError,
        match='the teacher has 4 auxiliary branches and the student 3',
    ):
        build_algorithm(model)


def test_teacher_without_branches_is_a_clear_error():
    model = pair_cfg('resnet56', 'resnet20', 'hsakd_distiller_3branches')
    model.teacher = ZOO['resnet56']  # a plain classifier
    with pytest.raises(ConfigError, match='teacher .* has no auxiliary'):
        build_algorithm(model)


def test_matching_pair_builds():
    algorithm = build_algorithm(
        pair_cfg('vgg13', 'mobilenetv2_s1', 'hsakd_distiller_4branches')
    )
    assert len(algorithm.teacher.ss_branches) == 4


@pytest.mark.slow
def test_frozen_teacher_then_hsakd_student_runner(
    fmnist_teacher_ckpt, tmp_path
):
    from mmengine.runner import Runner

    plain = torch.load(fmnist_teacher_ckpt, weights_only=False)['state_dict']
    teacher_cfg = tiny_cfg(SSA_TEACHER_CFG, tmp_path / 'ssa')
    teacher_cfg.load_from = fmnist_teacher_ckpt
    teacher_run = Runner.from_cfg(teacher_cfg)
    teacher_run.train()
    trained = teacher_run.model.state_dict()
    # frozen mode: the loaded backbone and head are untouched (BN included)
    for key, value in plain.items():
        assert torch.equal(trained[key], value), key
    assert any(k.startswith('ss_branches') for k in trained)

    student_run = Runner.from_cfg(
        tiny_cfg(
            HSAKD_CFG,
            tmp_path / 'hsakd',
            **{'model.teacher_ckpt': str(tmp_path / 'ssa' / 'epoch_1.pth')},
        )
    )
    teacher_branch = student_run.model.teacher.ss_branches[0].fc.weight
    assert torch.equal(teacher_branch, trained['ss_branches.0.fc.weight'])
    student_run.train()
    scalars = open(
        next((tmp_path / 'hsakd').glob('*/vis_data/scalars.json'))
    ).read()
    for key in (
        'distill.loss_branch1',
        'distill.loss_logits',
        'student.loss_cls',
        'teacher.accuracy/top1',
    ):
        assert key in scalars

    # the deployed student drops its branches and loads as a plain classifier
    out = tmp_path / 'student.pth'
    result = run_tool(
        'export_student.py', tmp_path / 'hsakd' / 'epoch_1.pth', '--out', out
    )
    assert result.returncode == 0, result.stderr[-3000:]
    exported = torch.load(out, weights_only=False)['state_dict']
    assert not any(k.startswith('ss_branches') for k in exported)
    plain_cfg = Config.fromfile(tmp_path / 'student.py').model
    assert plain_cfg.type == 'ImageClassifier'
    init_default_scope('mmpretrain')
    MODELS.build(plain_cfg).load_state_dict(exported, strict=True)
