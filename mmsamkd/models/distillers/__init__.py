from .self_supervised_distiller import SelfSupervisedDistiller

__all__ = ['SelfSupervisedDistiller']
