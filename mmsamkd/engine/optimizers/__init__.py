from .samkd_optim_constructor import SAMKDOptimWrapperConstructor

__all__ = ['SAMKDOptimWrapperConstructor']
