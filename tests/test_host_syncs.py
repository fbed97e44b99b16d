"""Host reads of device values per training step: each one stalls a GPU.
Counted on the CPU with dispatch hooks, so a new ``float()`` in a hot
path fails here and names its line."""

import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from conftest import KD_CFG, REPO, tiny_cfg
from mmsamkd.utils.host_syncs import HostSyncCounter

SAMKD_CFG = osp.join(
    REPO, 'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def test_an_error_inside_the_counter_is_raised():
    with pytest.raises(KeyError), HostSyncCounter():
        {}['missing']  # noqa: B018 (the error is the point)


def test_the_counter_sees_every_kind_of_read():
    x = torch.randn(4, requires_grad=True)
    with HostSyncCounter() as syncs:
        x.sum().item()
        float(x[0])
        bool(x[1] > 0)
        x.tolist()
        torch.nonzero(x > 0)
        x.detach().cpu()
    assert [op for op, _ in syncs.found] == [
        '_local_scalar_dense',
        '_local_scalar_dense',
        '_local_scalar_dense',
        'tolist',
        'nonzero',
        'cpu',
    ]
    assert all(where.startswith(__file__) for _, where in syncs.found)
    # an optimizer's own step counters stay on the host
    optimizer = torch.optim.Adam([x])
    x.sum().backward()
    with HostSyncCounter() as syncs:
        optimizer.step()
    assert syncs.count == 0


def syncs_in_a_step(cfg, work_dir):
    """The host reads of the second training iteration (the first also
    checks widths and loads), logging and hooks included."""
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    loop = runner.train_loop
    run_iter, counted = loop.run_iter, []

    def counted_iter(idx, data_batch):
        with HostSyncCounter() as syncs:
            run_iter(idx, data_batch)
        counted.append(syncs)

    loop.run_iter = counted_iter
    runner.train()
    return counted[1]


def test_samkd_reads_at_most_two_more_values_than_kd(
    fmnist_teacher_ckpt, fmnist_ssa_teacher_ckpt, tmp_path
):
    """Before: 52 reads for SAMKD with every pair on (a float() per loss
    term in each of its three checks, an item() per logged term), 4 for
    KD."""
    small = {'train_dataloader.dataset.indices': 192}
    kd = tiny_cfg(
        KD_CFG,
        tmp_path,
        **small,
        **{'model.teacher_ckpt': fmnist_teacher_ckpt},
    )
    kd_syncs = syncs_in_a_step(kd, tmp_path / 'kd')
    samkd = tiny_cfg(
        SAMKD_CFG,
        tmp_path,
        **small,
        **{'model.teacher_ckpt': fmnist_ssa_teacher_ckpt},
    )
    every_pair = dict(feat0=0.1, feat1=0.1, pooled=0.1, logits=0.1)
    samkd.custom_hooks[0].stages = [dict(begin=0, weights=every_pair)]
    samkd_syncs = syncs_in_a_step(samkd, tmp_path / 'samkd')
    assert samkd_syncs.count <= kd_syncs.count + 2, samkd_syncs.found
