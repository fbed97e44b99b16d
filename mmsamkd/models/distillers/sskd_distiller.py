"""A ConfigurableDistiller that checks what SSKD's losses need."""

import torch.nn as nn
from mmrazor.models.distillers import ConfigurableDistiller
from mmrazor.registry import MODELS

from ...errors import ConfigError


@MODELS.register_module()
class SSKDDistiller(ConfigurableDistiller):
    """ConfigurableDistiller for SSKD (Xu et al., ECCV 2020).

    Recorders, losses and mappings are configured as for MMRazor's
    ``ConfigurableDistiller`` (``configs/_base_/models/sskd.py``). Before
    training it checks that teacher and student are
    :class:`~mmsamkd.models.SSKDClassifier` (a projection head, rotated
    views) with the same rotations as every loss, so that a plain teacher
    or a mismatched view count stops with a message instead of failing
    inside a recorder or comparing the wrong rows.
    """

    def prepare_from_student(self, model: nn.Module) -> None:
        self._check_model(model, 'student')
        super().prepare_from_student(model)

    def prepare_from_teacher(self, model: nn.Module) -> None:
        self._check_model(model, 'teacher')
        super().prepare_from_teacher(model)

    def _check_model(self, model, role):
        rotations = getattr(model, 'rotations', None)
        if not hasattr(model, 'proj_head') or rotations is None:
            raise ConfigError(
                f'the SSKD {role} ({type(model).__name__}) has no projection '
                "head: use type='SSKDClassifier' (for the teacher, with the "
                'checkpoint of a configs/teachers/*_sskd-head_* run)'
            )
        for name, loss in self.distill_losses.items():
            wanted = getattr(loss, 'num_rotations', len(rotations))
            if wanted != len(rotations):
                raise ConfigError(
                    f'{name} expects {wanted} views per image but the '
                    f'{role} makes {len(rotations)} (rotations '
                    f'{rotations}): give the losses the same rotations'
                )
