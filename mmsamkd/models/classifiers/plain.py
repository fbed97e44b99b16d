"""What a deployed classifier leaves out of the training-time classifiers.

The student of a distillation run is a :class:`SelfSupervisedClassifier`
(HSAKD, SAMKD), an :class:`SSKDClassifier` (SSKD) or an
:class:`AdapterClassifier` (LightSKD's DRG); deployed, it is the plain
MMPretrain ``ImageClassifier`` under them, without the auxiliary
branches, the projection head or the adapter
(``tools/export_student.py``).
"""

from typing import Any, Mapping

from ...utils.registered_types import type_name

# State-dict prefixes of the training-only modules.
TRAINING_ONLY_PREFIXES = ('ss_branches.', 'proj_head.', 'adapter.')

# Config arguments that only the training-time classifiers take.
_TRAINING_ONLY_ARGS = {
    'SelfSupervisedClassifier': (
        'branch_taps',
        'rotations',
        'branch_mode',
        'branch_loss_weight',
    ),
    'SSKDClassifier': ('rotations', 'mode', 'contrastive_weight'),
    'AdapterClassifier': ('adapter_stage', 'adapter_loss_weight'),
}


def to_plain_classifier(model_cfg: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``ImageClassifier`` config of a training-time classifier config.

    Other model configs are returned unchanged.
    """
    model_type = type_name(model_cfg)
    if model_type not in _TRAINING_ONLY_ARGS:
        return model_cfg
    dropped = _TRAINING_ONLY_ARGS[model_type]
    plain = {k: v for k, v in model_cfg.items() if k not in dropped}
    plain['type'] = 'ImageClassifier'
    return type(model_cfg)(plain)
