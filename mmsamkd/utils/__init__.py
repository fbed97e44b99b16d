from .config_check import (
    check_class_counts,
    check_config,
    check_distributed_wrapper,
    check_load_from,
    check_teacher_checkpoint,
)

__all__ = [
    'check_config',
    'check_class_counts',
    'check_distributed_wrapper',
    'check_load_from',
    'check_teacher_checkpoint',
]
