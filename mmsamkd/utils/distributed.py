"""Ending a distributed run cleanly."""


def end_distributed():
    """Destroy the default process group, if one was started.

    Left to interpreter exit, a gloo group's threads can outlive it and
    abort a finished CPU run ("terminate called without an active
    exception", exit code 134), seen once in a two-task fake-Slurm test.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def stalled_collective(error, cfg):
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
