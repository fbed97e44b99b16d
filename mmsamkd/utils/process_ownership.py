"""One live trainer per work dir, and trainers that end with their
launcher.

Two trainers in one work dir overwrite each other's checkpoints, and a
trainer left running after its launcher (``compare.py``, torchrun's agent)
was killed races the rerun that resumes into the same dir. The lock is a
``flock`` on a file in the dir: the kernel drops it with the process, so a
crash cannot leave it stale.
"""

import ctypes
import fcntl
import os
import os.path as osp
import signal
import sys
from typing import IO

from ..errors import MmsamkdError

LOCK_NAME = '.mmsamkd.lock'
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# where each launcher puts a process's global rank, before mmengine reads it
RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK')


def launch_rank() -> int:
    """This process's global rank as its launcher set it (0 if none)."""
    for name in RANK_VARIABLES:
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0


def hold_lock(directory: str, what: str = 'training process') -> IO:
    """Lock ``directory`` for this process's lifetime; return the open
    lock file (keep it). Raises :class:`MmsamkdError` naming the holder
    when another process has it."""
    os.makedirs(directory, exist_ok=True)
    handle = open(osp.join(directory, LOCK_NAME), 'a+')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or 'another process'
        handle.close()
        raise MmsamkdError(
            f'{directory} is in use by another {what} ({holder}); wait for '
            'it to end or stop it, or use another directory'
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f'pid {os.getpid()}')
    handle.flush()
    return handle


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent ends
    (Linux; elsewhere nothing). For use as ``preexec_fn`` of a child, or
    in a process whose parent is a launcher."""
    if not sys.platform.startswith('linux'):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(sig))
    if os.getppid() == 1:  # the parent ended before the request
        os.kill(os.getpid(), sig)
