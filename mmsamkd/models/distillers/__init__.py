from .self_supervised_distiller import SelfSupervisedDistiller
from .sskd_distiller import SSKDDistiller

__all__ = ['SSKDDistiller', 'SelfSupervisedDistiller']
