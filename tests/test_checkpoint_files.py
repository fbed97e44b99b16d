"""Checkpoints that can be trusted, copied and moved (compat patch 5).

Before: a bit-flipped checkpoint resumed with rc 0, a truncated one gave a
raw torch traceback, and resuming a copied work dir deleted the original
run's best checkpoint.
"""

import errno
import os
import os.path as osp
import shutil

import pytest
import torch
from mmengine.hooks import Hook
from test_cli_errors import assert_one_line_error

from conftest import (
    STUDENT_CFG,
    options_args,
    run_tool_in_process,
    tiny_cfg,
)
from mmsamkd.errors import CheckpointError
from mmsamkd.utils.checkpoint_files import (
    is_intact,
    last_intact,
    rebase,
    save_verified,
    sha256_of,
    unreadable,
    verify,
)

TWO_EPOCHS = {'train_cfg.max_epochs': 2}


def train(work_dir, *extra, epochs=2):
    """``tools/train.py`` of the tiny student, in this process."""
    return run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        work_dir,
        *extra,
        *options_args(
            {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1}
        ),
    )


def test_save_writes_a_checksum_that_sha256sum_reads(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    save_verified({'w': torch.arange(3)}, path)
    digest, name = open(path + '.sha256').read().split()
    assert name == 'epoch_1.pth' and digest == sha256_of(path)
    assert not osp.exists(path + '.part')
    verify(path)  # no error
    # mmengine deletes old checkpoints itself: their checksums follow
    os.remove(path)
    save_verified({'w': torch.arange(4)}, str(tmp_path / 'epoch_2.pth'))
    assert not osp.exists(path + '.sha256')


def test_an_interrupted_save_leaves_the_previous_file_whole(
    tmp_path, monkeypatch
):
    path = str(tmp_path / 'epoch_1.pth')
    save_verified({'w': torch.zeros(10)}, path)
    before = open(path, 'rb').read()

    def killed(fd):
        raise KeyboardInterrupt  # the process dies mid-save

    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        save_verified({'w': torch.ones(10)}, path)
    assert open(path, 'rb').read() == before and is_intact(path)
    monkeypatch.undo()
    assert torch.load(path)['w'].sum() == 0


def test_a_flipped_bit_is_caught_and_the_intact_checkpoint_named(tmp_path):
    first, second = (str(tmp_path / f'epoch_{i}.pth') for i in (1, 2))
    save_verified({'w': torch.zeros(100)}, first)
    save_verified({'w': torch.ones(100)}, second)
    data = bytearray(open(second, 'rb').read())
    data[len(data) // 2] ^= 0x01
    open(second, 'wb').write(bytes(data))
    assert not is_intact(second) and last_intact(str(tmp_path)) == first
    with pytest.raises(CheckpointError) as info:
        verify(second)
    assert 'does not match its checksum' in str(info.value)
    assert f'--resume {first}' in str(info.value)


def test_the_last_intact_checkpoint_is_the_newest_by_number(tmp_path):
    """Named in every damaged-checkpoint error as the one to resume from:
    the oldest, or ``epoch_9`` before ``epoch_10``, would throw work away.
    """
    for epoch in (1, 2, 9, 10):
        save_verified({'epoch': epoch}, str(tmp_path / f'epoch_{epoch}.pth'))
    assert last_intact(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'epoch_10.pth').write_bytes(b'damaged')
    assert last_intact(str(tmp_path)) == str(tmp_path / 'epoch_9.pth')
    # the damaged file itself is never named
    with pytest.raises(CheckpointError, match='epoch_9.pth'):
        verify(str(tmp_path / 'epoch_10.pth'))


def test_the_real_best_is_the_newest_best_file_up_to_the_resumed_step(
    tmp_path,
):
    """After a run died between saving a best file and the checkpoint that
    records it: the newest best file at or before the resumed step is the
    real best, the older ones are outdated, later ones are to be redone."""
    from mmsamkd.utils.checkpoint_files import newer_best

    def best(epoch, score):
        path = str(tmp_path / f'best_accuracy_top1_epoch_{epoch}.pth')
        hub = {'runtime_info': {'best_score': score}}
        save_verified({'message_hub': hub}, path)
        return path

    paths = [best(1, 50.0), best(2, 60.0), best(4, 70.0), best(6, 80.0)]
    assert newer_best(str(tmp_path), None, 5) == (paths[2], 70.0, paths[:2])
    assert newer_best(str(tmp_path), None, 4) == (paths[2], 70.0, paths[:2])
    assert newer_best(str(tmp_path), paths[2], 5) is None  # known already
    assert newer_best(str(tmp_path), None, 0) is None


def test_a_failed_checksum_write_leaves_no_stale_checksum(
    tmp_path, monkeypatch
):
    """The previous save's checksum would call the new file damaged."""
    from mmsamkd.utils import checkpoint_files

    path = str(tmp_path / 'epoch_1.pth')
    save_verified({'w': torch.zeros(3)}, path)
    write = checkpoint_files._write_atomically

    def disk_full_at_the_checksum(data, target):
        if target.endswith('.sha256'):
            raise CheckpointError('no space left')
        write(data, target)

    monkeypatch.setattr(
        checkpoint_files, '_write_atomically', disk_full_at_the_checksum
    )
    with pytest.raises(CheckpointError, match='no space left'):
        save_verified({'w': torch.ones(3)}, path)
    assert not osp.exists(path + '.sha256')
    assert torch.load(path)['w'].sum() == 3
    verify(path)  # no checksum: nothing to contradict


def test_an_unreadable_checkpoint_error_is_one_line(tmp_path):
    error = unreadable('x.pth', RuntimeError('bad zip\nwith a second line'))
    assert 'cannot be read (RuntimeError: bad zip)' in str(error)
    assert 'second line' not in str(error)
    assert '(ValueError: )' in str(unreadable('x.pth', ValueError()))


def test_a_resumed_hub_keeps_its_checkpoint_paths_in_the_work_dir(tmp_path):
    from mmengine.logging import MessageHub

    from mmsamkd.utils.checkpoint_files import rebase_stored_paths

    here = str(tmp_path)
    hub = MessageHub.get_instance(f'rebase-{id(tmp_path)}')
    hub.update_info('last_ckpt', '/elsewhere/run/epoch_2.pth')
    hub.update_info('best_ckpt', '/elsewhere/run/best_top1_epoch_1.pth')
    hub.update_info('best_ckpt_top5', 'relative/best.pth')  # left: relative
    hub.update_info('work_dir', '/elsewhere/run')  # not a checkpoint
    rebase_stored_paths(hub, here)
    assert [hub.get_info(k) for k in ('last_ckpt', 'best_ckpt')] == [
        osp.join(here, 'epoch_2.pth'),
        osp.join(here, 'best_top1_epoch_1.pth'),
    ]
    assert hub.get_info('best_ckpt_top5') == 'relative/best.pth'
    assert hub.get_info('work_dir') == '/elsewhere/run'


def test_rebase_maps_other_dirs_into_the_work_dir(tmp_path):
    here = str(tmp_path / 'b')
    assert rebase('/elsewhere/a/best.pth', here) == osp.join(here, 'best.pth')
    assert rebase(osp.join(here, 'x.pth'), here) == osp.join(here, 'x.pth')
    assert rebase(None, here) is None


@pytest.mark.slow
def test_damaged_checkpoints_stop_resume_with_one_line(tmp_path):
    run = tmp_path / 'run'
    assert train(run).returncode == 0
    last = run / 'epoch_2.pth'
    assert is_intact(str(last)) and is_intact(str(run / 'epoch_1.pth'))
    data = last.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0x10
    last.write_bytes(bytes(flipped))
    result = train(run, '--resume')
    assert_one_line_error(
        result, 'does not match its checksum', f'--resume {run}/epoch_1.pth'
    )
    # truncated, with no checksum to compare: the load fails, named
    last.write_bytes(data[: len(data) // 2])
    os.remove(str(last) + '.sha256')
    result = train(run, '--resume')
    assert_one_line_error(
        result, 'cannot be read', f'--resume {run}/epoch_1.pth'
    )


@pytest.mark.slow
def test_copied_and_moved_work_dirs_resume_in_place(tmp_path):
    from mmengine.runner import Runner
    from test_kd_end_to_end import InterruptAfterEpoch

    from conftest import tiny_cfg

    # a 2-epoch run stopped after its first epoch, as a kill would
    original = tmp_path / 'a'
    runner = Runner.from_cfg(
        tiny_cfg(
            STUDENT_CFG,
            original,
            **{'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 1},
        )
    )
    runner.register_hook(InterruptAfterEpoch(1))
    runner.train()
    before = sorted(os.listdir(original))
    best = [f for f in before if f.startswith('best_')]
    assert best
    copy = tmp_path / 'copy'
    shutil.copytree(original, copy)
    result = train(copy, '--resume')
    assert result.returncode == 0, result.stderr[-2000:]
    # the original run is untouched: its best checkpoint is still there
    assert sorted(os.listdir(original)) == before
    # and the copy's own record of its best checkpoint stays in the copy
    saved = torch.load(copy / 'epoch_2.pth', weights_only=False)
    assert saved['message_hub']['runtime_info']['best_ckpt'].startswith(
        str(copy)
    )
    moved = tmp_path / 'moved'
    shutil.move(str(original), str(moved))
    result = train(moved, '--resume')
    assert result.returncode == 0, result.stderr[-2000:]
    assert (moved / 'epoch_2.pth').is_file()
    assert open(moved / 'last_checkpoint').read().startswith(str(moved))


@pytest.mark.parametrize('named', ['', 'epoch_3.pth'])
def test_last_checkpoint_naming_no_file_points_to_the_last_intact_one(
    tmp_path, named
):
    """Before: ``FileNotFoundError: checkpoint ''`` from inside mmengine."""
    from mmengine.runner.checkpoint import find_latest_checkpoint

    save_verified({'state_dict': {}}, str(tmp_path / 'epoch_2.pth'))
    (tmp_path / 'last_checkpoint').write_text(
        str(tmp_path / named) if named else ''
    )
    with pytest.raises(CheckpointError) as info:
        find_latest_checkpoint(str(tmp_path))
    message = str(info.value)
    assert 'last_checkpoint' in message
    assert f'--resume {tmp_path / "epoch_2.pth"}' in message
    # a last_checkpoint that names a file is read as before
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    assert find_latest_checkpoint(str(tmp_path)) == str(
        tmp_path / 'epoch_2.pth'
    )


def test_a_damaged_teacher_checkpoint_names_the_teacher_fix(tmp_path):
    """Before: the message advised --resume of the teacher's checkpoint
    into the student's run."""
    from mmsamkd.utils.teacher_checkpoint import load_teacher_checkpoint

    first, second = (str(tmp_path / f'epoch_{i}.pth') for i in (1, 2))
    for path in (first, second):
        save_verified({'state_dict': {'w': torch.zeros(100)}}, path)
    data = bytearray(open(second, 'rb').read())
    data[len(data) // 2] ^= 0x01
    open(second, 'wb').write(bytes(data))
    with pytest.raises(CheckpointError) as info:
        load_teacher_checkpoint(torch.nn.Linear(1, 1), second)
    message = str(info.value)
    assert f'teacher_ckpt {second} is damaged' in message
    assert f'point model.teacher_ckpt to {first}' in message
    assert '--resume' not in message


class ValScores(Hook):
    """Collect the validation accuracy of every epoch."""

    def __init__(self, scores):
        self.scores = scores

    def after_val_epoch(self, runner, metrics=None):
        self.scores[runner.epoch] = metrics['accuracy/top1']


def test_a_full_disk_stops_with_one_line_and_resume_keeps_one_best(
    tmp_path, monkeypatch
):
    """Before: the failed save left ``epoch_1.pth.part`` and an OSError;
    the resumed run, unaware of ``best_..._epoch_1.pth`` (saved just before
    the disk filled), saved a second best checkpoint at its next
    validation, better or not."""
    from mmengine.runner import Runner

    from mmsamkd.utils import checkpoint_files

    options = {'train_cfg.max_epochs': 3, 'train_cfg.val_interval': 1}
    scores = {}
    runner = Runner.from_cfg(tiny_cfg(STUDENT_CFG, tmp_path, **options))
    runner.register_hook(ValScores(scores))
    opened = []

    def open_until_full(path, mode='r', *args, **kwargs):
        handle = open(path, mode, *args, **kwargs)
        opened.append(osp.basename(path))
        # the second save of epoch_1, after the best checkpoint's
        if (
            opened[-1:] == ['epoch_1.pth.part']
            and opened.count('epoch_1.pth.part') == 2
        ):
            handle.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return handle

    monkeypatch.setattr(checkpoint_files, 'open', open_until_full, False)
    with pytest.raises(CheckpointError) as info:
        runner.train()
    monkeypatch.undo()
    assert 'No space left on device' in str(info.value)
    assert f'--resume {tmp_path / "epoch_1.pth"}' in str(info.value)
    assert not list(tmp_path.glob('*.part'))
    assert is_intact(str(tmp_path / 'epoch_1.pth'))

    resumed = Runner.from_cfg(
        tiny_cfg(STUDENT_CFG, tmp_path, resume=True, **options)
    )
    resumed.register_hook(ValScores(scores))
    resumed.train()
    best_epoch = max(sorted(scores), key=scores.get)  # the first of ties
    best = [p.name for p in tmp_path.glob('best_*.pth')]
    assert best == [f'best_accuracy_top1_epoch_{best_epoch}.pth'], scores
    assert resumed.message_hub.get_info('best_score') == scores[best_epoch]


def test_last_checkpoint_is_replaced_whole(tmp_path, monkeypatch):
    """Before: mmengine truncated ``last_checkpoint`` and then wrote it; a
    kill in between left it empty."""
    from mmengine.hooks import checkpoint_hook

    path = tmp_path / 'last_checkpoint'
    path.write_text('epoch_1.pth')

    def killed(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        with checkpoint_hook.open(str(path), 'w') as f:
            f.write('epoch_2.pth')
    assert path.read_text() == 'epoch_1.pth'
    monkeypatch.undo()
    with checkpoint_hook.open(str(path), 'w') as f:
        f.write('epoch_2.pth')
    assert path.read_text() == 'epoch_2.pth'
