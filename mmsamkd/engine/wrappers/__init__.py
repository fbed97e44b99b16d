from .samkd_ddp import SAMKDDistributedDataParallel

__all__ = ['SAMKDDistributedDataParallel']
