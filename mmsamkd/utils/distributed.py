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
