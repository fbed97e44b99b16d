"""A ConfigurableDistiller that checks the branches it distils (HSAKD)."""

import re

import torch.nn as nn
from mmrazor.models.distillers import ConfigurableDistiller
from mmrazor.registry import MODELS

from ...errors import ConfigError

_BRANCH_SOURCE = re.compile(r'^ss_branches\.(\d+)\.')


def _recorded_branches(recorder_manager):
    found = set()
    for recorder in recorder_manager.recorders.values():
        match = _BRANCH_SOURCE.match(recorder.source)
        if match:
            found.add(int(match.group(1)))
    return found


@MODELS.register_module()
class SelfSupervisedDistiller(ConfigurableDistiller):
    """ConfigurableDistiller for teachers and students with ss branches.

    Distils a :class:`~mmsamkd.models.SelfSupervisedClassifier` into
    another (HSAKD: Yang et al., IJCAI 2021; SAMKD builds on it). The
    recorders, connectors and losses are configured exactly as for
    MMRazor's ``ConfigurableDistiller``; on top, before training starts, it
    checks that both models have auxiliary branches, that their numbers and
    rotations agree, and that every branch is recorded on both sides, so a
    mismatched config stops with a clear message instead of distilling a
    subset of branches or failing inside a recorder.
    """

    def prepare_from_student(self, model: nn.Module) -> None:
        self._student_branches = self._check_model(
            model, 'student', self.student_recorders
        )
        self._student_rotations = model.rotations
        super().prepare_from_student(model)

    def prepare_from_teacher(self, model: nn.Module) -> None:
        branches = self._check_model(model, 'teacher', self.teacher_recorders)
        student = getattr(self, '_student_branches', None)
        if student is not None and branches != student:
            raise ConfigError(
                f'the teacher has {branches} auxiliary branches and the '
                f'student {student}: branch i of the student learns from '
                'branch i of the teacher, so the counts must match. Set '
                'branch_taps on one of them (or pick a pair whose backbones '
                'have as many stages).'
            )
        if getattr(self, '_student_rotations', model.rotations) != (
            model.rotations
        ):
            raise ConfigError(
                f'teacher rotations {model.rotations} differ from student '
                f'rotations {self._student_rotations}: joint labels would '
                'not correspond'
            )
        super().prepare_from_teacher(model)

    @staticmethod
    def _check_model(model, role, recorders):
        branches = getattr(model, 'ss_branches', None)
        if branches is None:
            raise ConfigError(
                f'the {role} ({type(model).__name__}) has no auxiliary '
                'branches: use a SelfSupervisedClassifier (for the teacher, '
                'a checkpoint from a configs/teachers/*_ssa-* config)'
            )
        recorded = _recorded_branches(recorders)
        expected = set(range(len(branches)))
        if recorded != expected:
            raise ConfigError(
                f'the {role} has {len(branches)} auxiliary branches but the '
                f'distiller records branches {sorted(recorded)}: every '
                'branch needs a recorder and a loss (build them with '
                'hsakd_distiller_<N>branches from '
                'configs/_base_/models/hsakd.py)'
            )
        return len(branches)
