from .mmsamkd_runner import MmsamkdRunner
from .teacher_cached_val_loop import TeacherCachedDistillValLoop

__all__ = ['MmsamkdRunner', 'TeacherCachedDistillValLoop']
