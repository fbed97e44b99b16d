"""How many processes a launch trains with, and ending a distributed run
cleanly."""

import os
from typing import TYPE_CHECKING, MutableMapping, Optional

if TYPE_CHECKING:  # torch and mmengine load only when a run ends
    from mmengine.config import Config

    from ..errors import MmsamkdError

# where each launcher puts the number of processes, before mmengine reads it
WORLD_SIZE_VARIABLES = {
    'pytorch': 'WORLD_SIZE',
    'slurm': 'SLURM_NTASKS',
    'mpi': 'OMPI_COMM_WORLD_SIZE',
}


# what mmengine's init of each launcher reads, the program that sets it,
# and how mmsamkd's tools use that program
LAUNCH_VARIABLES = {
    # LOCAL_RANK too, which the tools default from --local-rank
    'pytorch': (
        ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
        'torchrun',
        'tools/dist_train.sh CONFIG N',
    ),
    'slurm': (
        ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'),
        'srun',
        'tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR',
    ),
    'mpi': (
        (
            'OMPI_COMM_WORLD_RANK',
            'OMPI_COMM_WORLD_LOCAL_RANK',
            'OMPI_COMM_WORLD_SIZE',
            'MASTER_ADDR',
        ),
        'mpirun',
        'MASTER_ADDR=HOST mpirun -np N python tools/train.py CONFIG '
        '--launcher mpi',
    ),
}


def check_launch(launcher: str) -> None:
    """Refuse ``--launcher`` in a process its launcher did not start:
    mmengine would stop with a ``KeyError`` traceback naming a variable."""
    from ..errors import MmsamkdError

    if launcher not in LAUNCH_VARIABLES:
        return
    variables, program, example = LAUNCH_VARIABLES[launcher]
    missing = [name for name in variables if name not in os.environ]
    if missing:
        verb = 'is' if len(missing) == 1 else 'are'
        raise MmsamkdError(
            f'--launcher {launcher} expects a process started by {program}, '
            f'but {", ".join(missing)} {verb} not set. Launch through '
            f'{program} (e.g. {example}), or drop --launcher to run one '
            'process.'
        )


def slurm_job_port(environ: MutableMapping[str, str]) -> None:
    """Under Slurm, set ``MASTER_PORT`` (where one is not set) from the job
    and step ids, the same for every task of a step.

    MMEngine's Slurm init takes 29500 for every job, so a second job
    sharing a node with a first (8 GPUs, two jobs of 4) found the port
    taken, and its other tasks could reach the first job's store. Ports
    20000-29999 lie below Linux's ephemeral range; a job whose port is
    still taken sets ``MASTER_PORT`` itself (or ``env_cfg.dist_cfg.port``,
    which MMEngine puts above both).
    """
    job = environ.get('SLURM_JOB_ID', '')
    step = environ.get('SLURM_STEP_ID', '0')
    if 'MASTER_PORT' in environ or not job.isdigit():
        return
    step = int(step) if step.isdigit() else 0
    environ['MASTER_PORT'] = str(20000 + int(job) % 1000 * 10 + step % 10)


def launch_world_size(launcher: str) -> int:
    """How many processes train together under ``launcher`` (``--launcher``
    of ``tools/train.py``): 1 for ``'none'``, whatever the environment
    says (a shell inside a Slurm allocation sets ``SLURM_NTASKS`` for a
    plain run too)."""
    variable = WORLD_SIZE_VARIABLES.get(launcher)
    value = os.environ.get(variable, '') if variable else ''
    return int(value) if value.isdigit() else 1


def end_distributed() -> None:
    """Destroy the process groups, if any were started, once nothing uses
    them: the caller drops its runner first (``del runner``).

    A DDP model holds its process group: while it lives, destroying the
    group only forgets it, and the gloo group is freed with the model at
    interpreter exit, where joining its worker threads can abort a
    finished run ("terminate called without an active exception", exit
    code 134). Two gloo ranks that train a few DDP steps and exit aborted
    7 times in 40 with the model alive at exit, none in 40 without.
    """
    import gc

    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        gc.collect()  # the runner's cycles, with its DDP model
        dist.destroy_process_group()


def stalled_collective(
    error: BaseException, cfg: 'Config'
) -> Optional['MmsamkdError']:
    """The one-line :class:`MmsamkdError` for a collective that timed out
    (a rank stopped, died or fell far behind), or None for other errors.

    gloo raises a ``RuntimeError`` naming its timeout on the ranks that
    waited; NCCL's watchdog ends the process itself, with its own message.
    """
    from ..errors import MmsamkdError

    message = str(error)
    if 'Timed out waiting' not in message and 'timed out' not in message:
        return None
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return None
    timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
    return MmsamkdError(
        f'rank {dist.get_rank()} waited {timeout or "the default"} s for the '
        'other processes in a collective: one of them stopped, died or is '
        'far behind. The saved checkpoints are intact: --resume goes on. '
        'If a step may legitimately take longer, raise '
        'env_cfg.dist_cfg.timeout (seconds).'
    )
