from .teacher_cached_val_loop import TeacherCachedDistillValLoop

__all__ = ['TeacherCachedDistillValLoop']
