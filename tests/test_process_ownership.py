"""One live trainer per work dir; trainers end with their launcher.

Before: two compare.py in one root trained the same dirs at once, and a
killed compare.py left its tools/train.py child training.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.process_ownership import LOCK_NAME, hold_lock


def test_a_locked_directory_names_its_holder_and_frees_on_close(tmp_path):
    held = hold_lock(str(tmp_path))
    with pytest.raises(MmsamkdError, match=f'in use .*pid {os.getpid()}'):
        hold_lock(str(tmp_path))
    held.close()
    again = hold_lock(str(tmp_path))
    # the holder's line replaces the last one, not appended to a part of it
    assert (tmp_path / LOCK_NAME).read_text() == f'pid {os.getpid()}'
    again.close()


def test_a_lock_dies_with_its_process(tmp_path):
    # a holder killed hard (a crash) leaves no stale lock
    holder = subprocess.Popen(
        [
            sys.executable,
            '-c',
            'import sys, time\n'
            f'sys.path.insert(0, {REPO!r})\n'
            'from mmsamkd.utils.process_ownership import hold_lock\n'
            f'lock = hold_lock({str(tmp_path)!r})\n'
            'print("held", flush=True)\n'
            'time.sleep(60)\n',
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == 'held'
    with pytest.raises(MmsamkdError, match='in use'):
        hold_lock(str(tmp_path))
    holder.kill()
    holder.wait()
    hold_lock(str(tmp_path)).close()


def test_children_die_with_their_launcher(tmp_path):
    """compare.py starts each trainer with die_with_parent: a launcher
    killed with SIGKILL (no cleanup) still takes its child along."""
    pid_file = tmp_path / 'child.pid'
    launcher = subprocess.Popen(
        [
            sys.executable,
            '-c',
            'import subprocess, sys, time\n'
            f'sys.path.insert(0, {REPO!r})\n'
            'from mmsamkd.utils.process_ownership import die_with_parent\n'
            'child = subprocess.Popen([sys.executable, "-c", '
            '"import time; time.sleep(60)"], preexec_fn=die_with_parent)\n'
            f'open({str(pid_file)!r}, "w").write(str(child.pid))\n'
            'time.sleep(60)\n',
        ]
    )
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.1)
    child = int(pid_file.read_text())
    # alive while its launcher is (not a zombie the launcher never reaped)
    status = open(f'/proc/{child}/status').read()
    assert '\nState:\tZ' not in status, 'the child died at its start'
    launcher.send_signal(signal.SIGKILL)
    launcher.wait()
    for _ in range(50):  # the child gets SIGTERM from the kernel
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail('the child outlived its launcher')


@pytest.mark.slow
def test_a_second_compare_in_one_root_is_refused(tmp_path):
    from test_cli_errors import assert_one_line_error

    from conftest import STUDENT_CFG, run_tool

    held = hold_lock(str(tmp_path))  # as a running compare.py holds it
    result = run_tool('compare.py', STUDENT_CFG, '--work-dir-root', tmp_path)
    assert_one_line_error(result, 'in use by another compare.py')
    held.close()


def test_the_launch_rank_is_read_from_any_launcher(monkeypatch):
    from mmsamkd.utils.process_ownership import RANK_VARIABLES, launch_rank

    for name in RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert launch_rank() == 0
    monkeypatch.setenv('SLURM_PROCID', '1')  # srun sets no RANK
    assert launch_rank() == 1
    monkeypatch.setenv('RANK', '0')
    assert launch_rank() == 0


def test_a_collective_timeout_is_told_in_one_line(tmp_path):
    """What the slow test below checks end to end, on the two ways gloo
    words a timeout, in one process."""
    import torch.distributed as dist
    from mmengine.config import Config

    from mmsamkd.utils.distributed import stalled_collective

    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(timeout=10))))
    waited = RuntimeError(
        '[gloo/transport/tcp/unbound_buffer.cc:81] Timed out waiting '
        '10000ms for recv operation to complete'
    )
    read = RuntimeError('[gloo/transport/tcp/pair.cc:598] Read timed out')
    # without a process group it was no collective
    assert stalled_collective(waited, cfg) is None
    dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp_path}/store',
        rank=0,
        world_size=1,
    )
    try:
        for error in (waited, read):
            told = str(stalled_collective(error, cfg))
            assert told.startswith('rank 0 waited 10 s for the other'), told
            assert 'env_cfg.dist_cfg.timeout' in told
        other = RuntimeError('Expected all tensors to be on the same device')
        assert stalled_collective(other, cfg) is None
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_a_stopped_rank_ends_the_run_with_one_line(tmp_path, monkeypatch):
    """Before: with rank 1 hung (or stopped by SIGSTOP), rank 0 waited in
    its next all-reduce for gloo's default 30 minutes, then died in a
    traceback."""
    from mmengine.config import Config

    from conftest import STUDENT_CFG, rank_weights_config, run_dist_train

    # the shipped configs bound the wait; the test shortens it
    assert Config.fromfile(STUDENT_CFG).env_cfg.dist_cfg.timeout == 600
    config = rank_weights_config(STUDENT_CFG, tmp_path, monkeypatch)
    with open(config, 'a', encoding='utf-8') as f:
        f.write(
            "custom_hooks = [dict(type='StopRankHook', "
            f'out_dir={str(tmp_path)!r})]\n'
        )
    started = time.monotonic()
    result = run_dist_train(
        config,
        2,
        tmp_path / 'run',
        {'train_cfg.max_epochs': 3, 'env_cfg.dist_cfg.timeout': 10},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert time.monotonic() - started < 300
    errors = [line for line in output.splitlines() if 'error: rank' in line]
    assert len(errors) == 1, output[-3000:]
    assert 'rank 0 waited 10 s' in errors[0]
    assert 'env_cfg.dist_cfg.timeout' in errors[0]
    assert '[rank0]: Traceback' not in output
    stopped = int((tmp_path / 'stopped.pid').read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(stopped, 0)  # torchrun took the stopped rank along


@pytest.mark.parametrize('script', ['train.py', 'test.py'])
def test_the_runner_is_freed_before_the_process_group(
    script, tmp_path, monkeypatch
):
    """A DDP model holds its process group: left alive, the gloo group was
    freed at interpreter exit, where a finished two-rank run aborted now
    and then ("terminate called without an active exception"; 7 of 40
    two-rank exits in a scratch loop, 1 CI run)."""
    import gc

    from mmengine.runner import Runner

    from conftest import STUDENT_CFG, load_tool, options_args

    if script == 'test.py':  # a checkpoint to evaluate
        argv = [STUDENT_CFG, str(tmp_path / 'run' / 'epoch_1.pth')]
        train = ['train.py', STUDENT_CFG, '--work-dir', str(tmp_path / 'run')]
        tool = load_tool('train.py')
        monkeypatch.setattr(sys, 'argv', train + options_args({}))
        tool.main()
    else:
        argv = [STUDENT_CFG]
    tool = load_tool(script)
    alive = []

    def end_distributed():
        gc.collect()
        alive.extend(o for o in gc.get_objects() if isinstance(o, Runner))

    monkeypatch.setattr(
        'mmsamkd.utils.distributed.end_distributed', end_distributed
    )
    monkeypatch.setattr(
        sys,
        'argv',
        [script, *argv, '--work-dir', str(tmp_path / script)]
        + options_args({}),
    )
    tool.main()
    assert not alive
