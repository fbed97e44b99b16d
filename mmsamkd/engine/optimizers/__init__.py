from .mixed_precision import MixedPrecisionOptimWrapper, use_mixed_precision
from .samkd_optim_constructor import SAMKDOptimWrapperConstructor

__all__ = [
    'MixedPrecisionOptimWrapper',
    'SAMKDOptimWrapperConstructor',
    'use_mixed_precision',
]
