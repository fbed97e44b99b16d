from .quiet_console_runner import QuietConsoleRunner
from .teacher_cached_val_loop import TeacherCachedDistillValLoop

__all__ = ['QuietConsoleRunner', 'TeacherCachedDistillValLoop']
