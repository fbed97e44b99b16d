from .adapter_classifier import AdapterClassifier
from .plain import TRAINING_ONLY_PREFIXES, to_plain_classifier
from .ss_classifier import SelfSupervisedClassifier
from .sskd_classifier import SSKDClassifier

__all__ = [
    'AdapterClassifier',
    'SSKDClassifier',
    'SelfSupervisedClassifier',
    'TRAINING_ONLY_PREFIXES',
    'to_plain_classifier',
]
