"""The distillation validation loop that evaluates a frozen teacher once."""

import torch
from mmengine.runner import Runner

from conftest import KD_CFG, clone_state, tiny_cfg
from mmsamkd.engine.runner.teacher_cached_val_loop import weights_version

EPOCHS = {
    'train_cfg.max_epochs': 3,
    'train_cfg.val_interval': 1,
    'train_dataloader.dataset.indices': 128,
    'val_dataloader.dataset.indices': 64,
}


def kd_run(loop, work_dir, teacher_ckpt, monkeypatch):
    """A tiny KD run under ``loop``: student weights, validation metrics,
    the epochs whose validation ran the teacher, torch's RNG state."""
    cfg = tiny_cfg(KD_CFG, work_dir, **EPOCHS)
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.val_cfg = dict(type=loop)
    passes, metrics = [], []
    runner = Runner.from_cfg(cfg)
    original = runner.val_loop.run_iter_teacher

    def counted(idx, data_batch):
        if idx == 0:
            passes.append(runner.epoch)
        return original(idx, data_batch)

    monkeypatch.setattr(runner.val_loop, 'run_iter_teacher', counted)
    original_call_hook = runner.call_hook

    def call_hook(name, **kwargs):
        if name == 'after_val_epoch':
            metrics.append(dict(kwargs['metrics']))
        return original_call_hook(name, **kwargs)

    monkeypatch.setattr(runner, 'call_hook', call_hook)
    runner.train()
    weights = clone_state(runner.model.architecture)
    return weights, metrics, passes, torch.random.get_rng_state()


def test_a_frozen_teacher_is_evaluated_once_and_nothing_else_changes(
    fmnist_teacher_ckpt, tmp_path, monkeypatch
):
    """Before: MMRazor's loop evaluated the frozen teacher at every
    validation. The cached loop must give the very same run: student
    weights, student and teacher metrics at every validation."""
    reference = kd_run(
        'mmrazor.SingleTeacherDistillValLoop',
        tmp_path / 'mmrazor',
        fmnist_teacher_ckpt,
        monkeypatch,
    )
    cached = kd_run(
        'mmrazor.TeacherCachedDistillValLoop',
        tmp_path / 'cached',
        fmnist_teacher_ckpt,
        monkeypatch,
    )
    assert reference[2] == [1, 2, 3]  # the teacher at every validation
    assert cached[2] == [1]
    assert cached[1] == reference[1]
    assert len(cached[1]) == 3 and 'teacher.accuracy/top1' in cached[1][2]
    for key, value in reference[0].items():
        assert torch.equal(cached[0][key], value), key
    # torch's global RNG goes on as it would have (random ops of later
    # steps draw from it)
    assert torch.equal(cached[3], reference[3])


def test_a_changed_teacher_is_evaluated_again():
    """The key changes with an in-place step, a BN statistic in train
    mode, and a loaded snapshot."""
    teacher = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)
    )
    before = weights_version(teacher)
    assert weights_version(teacher) == before
    with torch.no_grad():
        teacher[0].weight.add_(1.0)
    stepped = weights_version(teacher)
    assert stepped != before
    teacher.train()
    teacher(torch.rand(4, 2))
    trained = weights_version(teacher)
    assert trained != stepped
    teacher.load_state_dict(teacher.state_dict())
    assert weights_version(teacher) != trained
