from .ss_classifier import (
    TRAINING_ONLY_PREFIXES,
    SelfSupervisedClassifier,
    to_plain_classifier,
)

__all__ = [
    'SelfSupervisedClassifier',
    'TRAINING_ONLY_PREFIXES',
    'to_plain_classifier',
]
