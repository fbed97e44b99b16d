"""The reliability sweep, for every method family (``-m reliability``).

For each of vanilla, KD, HSAKD, SAMKD, SSKD, ICAKD (whose memory bank must
survive the resume), LightSKD (DRG + DSR, whose previous batch must) and
MS-MGANs (whose phase and teacher snapshot must), on tiny Fashion-MNIST
runs with the configs' own random augmentation:

- exact resume: a run killed in its last epoch and resumed from its last
  checkpoint ends bit-identical to an uninterrupted run;
- determinism: the same seed decides the run (the resume shows it);
- two gloo processes end with identical student weights on both ranks
  (SAMKD's with all four pairs joining in the last epoch).
"""

import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from conftest import (
    KD_CFG,
    REPO,
    STUDENT_CFG,
    TINY_OPTIONS,
    clone_state,
    free_port,
    rank_weights,
    tiny_cfg,
)

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

FAMILIES = {
    'vanilla': (STUDENT_CFG, None),
    'kd': (KD_CFG, 'fmnist_teacher_ckpt'),
    'hsakd': (
        osp.join(
            REPO,
            'configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        ),
        'fmnist_ssa_teacher_ckpt',
    ),
    'samkd': (
        osp.join(
            REPO,
            'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        ),
        'fmnist_ssa_teacher_ckpt',
    ),
    'icakd': (
        osp.join(
            REPO,
            'configs/icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        ),
        'fmnist_teacher_ckpt',
    ),
    'msmgan': (
        osp.join(
            REPO,
            'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
        ),
        'fmnist_teacher_snapshots',
    ),
    'lightskd': (
        osp.join(
            REPO,
            'configs/lightskd/'
            'lightskd-drg-dsr_resnet8-quarter_1xb64_fmnist.py',
        ),
        None,
    ),
    'sskd': (
        osp.join(
            REPO, 'configs/sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
        ),
        'fmnist_sskd_teacher_ckpt',
    ),
}
# 3 epochs of 2 iterations: SAMKD's first adversarial stage begins in the
# third, so the kill and the resume happen with a discriminator training
SWEEP = {
    'train_cfg.max_epochs': 3,
    'train_dataloader.dataset.indices': 128,
    'val_dataloader.dataset.indices': 64,
}
SAMPLES_CFG = osp.join(
    REPO,
    'configs/samkd/study/samkd-samples0.1_resnet14_resnet8-quarter_1xb64_fmnist.py',
)
KILL_AT = 5  # the first iteration of the last epoch
# SAMKD's two ranks: the set of trained pairs changes mid-run (DDP must
# follow), and then all four discriminators train
SAMKD_ALL_PAIRS_AT_EPOCH_3 = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(
                begin=2,
                weights=dict(feat0=0.1, feat1=0.1, pooled=0.1, logits=0.1),
            ),
        ],
    )
]


class Killed(Exception):
    pass


class KillAtIteration(Hook):
    """Die after iteration ``at``, as a crash or a kill would."""

    priority = 'LOWEST'

    def __init__(self, at):
        self.at = at

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        if runner.iter + 1 >= self.at:
            raise Killed


def family_options(request, family):
    """``(config, options)`` of ``family``'s sweep run, teacher included."""
    config, teacher = FAMILIES[family]
    options = dict(SWEEP)
    if teacher:
        checkpoint = request.getfixturevalue(teacher)
        if isinstance(checkpoint, list):  # MS-MGANs' teacher snapshots
            options['model.teacher_snapshots'] = checkpoint
            checkpoint = checkpoint[0]
        options['model.teacher_ckpt'] = checkpoint
    return config, options


def family_cfg(request, family, work_dir):
    config, options = family_options(request, family)
    return tiny_cfg(config, work_dir, **options)


def assert_same(weights, expected, what):
    assert weights.keys() == expected.keys()
    for key, value in weights.items():
        assert torch.equal(value, expected[key]), (what, key)


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_exact_resume_and_determinism(request, family, tmp_path):
    """The killed run is the same seed again up to its kill, so a resumed
    run bit-identical to the straight one also shows that the seed
    decides the run: any unseeded draw would part them (a third run of
    the same seed, here before, added nothing)."""
    cfg = family_cfg(request, family, tmp_path / 'a')
    straight = Runner.from_cfg(cfg)
    straight.train()
    expected = clone_state(straight.model)

    cfg = family_cfg(request, family, tmp_path / 'b')
    killed = Runner.from_cfg(cfg)
    killed.register_hook(KillAtIteration(KILL_AT))
    with pytest.raises(Killed):
        killed.train()
    assert (tmp_path / 'b' / 'epoch_2.pth').is_file()
    cfg = family_cfg(request, family, tmp_path / 'b')
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.epoch == straight.epoch == 3
    # the whole model: student, and the adversary, memory bank, snapshot
    # or previous batch a method keeps
    assert_same(clone_state(resumed.model), expected, 'resumed')


def test_two_gloo_ranks_end_identical_in_every_family(request, tmp_path):
    """One two-rank launch trains every family in turn, then SAMKD with
    discrepancy samples (gloo_families.py; before, a launch each, which
    spent most of its time importing). They validate once, at the end."""
    plan = []
    for family in sorted(FAMILIES):
        config, options = family_options(request, family)
        options = {**TINY_OPTIONS, **options, 'train_cfg.val_interval': 3}
        if family == 'samkd':
            options['custom_hooks'] = SAMKD_ALL_PAIRS_AT_EPOCH_3
            # stored before DDP's buckets are laid out, which follow it
            options['channels_last'] = True
        out_dir = tmp_path / family
        out_dir.mkdir()
        plan.append(
            dict(
                config=config,
                options=options,
                work_dir=str(out_dir / 'run'),
                out_dir=str(out_dir),
            )
        )
    # and SAMKD's discrepancy samples, every pair on: their passes bypass
    # the student's DDP wrapper, yet their gradients must join its one
    # reduction, or the ranks' students drift apart
    samples = tmp_path / 'samkd-samples'
    samples.mkdir()
    plan.append(
        dict(
            config=SAMPLES_CFG,
            options={
                **TINY_OPTIONS,
                'model.teacher_ckpt': request.getfixturevalue(
                    'fmnist_ssa_teacher_ckpt'
                ),
                'custom_hooks': [],
            },
            work_dir=str(samples / 'run'),
            out_dir=str(samples),
        )
    )
    plan_file = tmp_path / 'plan.json'
    plan_file.write_text(json.dumps(plan))
    command = [
        sys.executable,
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        '--master_addr=127.0.0.1',
        f'--master_port={free_port()}',
        osp.join(REPO, 'tests', 'gloo_families.py'),
        str(plan_file),
    ]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'Grad strides do not match bucket view' not in result.stderr
    for family in sorted(FAMILIES):
        ranks = rank_weights(tmp_path / family)
        assert_same(ranks[1], ranks[0], f'{family}: rank 1 vs rank 0')
        log = next((tmp_path / family / 'run').glob('2*/2*.log')).read_text()
        assert 'Distributed training: True' in log, family
    for name, value in rank_weights(tmp_path / 'samkd')[0].items():
        if value.dim() == 4:
            assert value.is_contiguous(memory_format=torch.channels_last), name
    log = next((tmp_path / 'samkd' / 'run').glob('2*/2*.log')).read_text()
    for pair in ('feat0', 'feat1', 'pooled', 'logits'):
        assert f'adv.loss_d_{pair}' in log, pair
    ranks = rank_weights(samples)
    for key, value in ranks[0].items():
        torch.testing.assert_close(ranks[1][key], value, msg=key)
    log = next((samples / 'run').glob('2*/2*.log')).read_text()
    assert 'Distributed training: True' in log
    assert 'adv.loss_samples' in log  # on, with weight 1, without the hook
