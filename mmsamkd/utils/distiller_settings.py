"""A distiller's loss inputs read from the wrong network, or from nothing.

MMRazor's ``ConfigurableDistiller`` feeds each distillation loss the
records that ``loss_forward_mappings`` names: an argument, the recorder
it reads and whether that recorder is the student's or the teacher's.
These slips trained to rc 0 or ended in a traceback:

- ``preds_T=dict(from_student=True, recorder='logits')``: the loss
  compares the student with itself (KL 1.5e-08 in a tiny KD run), so the
  student trains alone under a KD name;
- in self-distillation (MMRazor's ``SelfDistill``, LightSKD's DRG), a
  teacher recorder of the module a student recorder of the same loss
  records: both sides read the one network, and the loss compares an
  output with a detached copy of itself (0, rc 0: DRG switched off);
- a ``distill_losses`` entry that no mapping names: MMRazor never
  computes it (rc 0, trained without it);
- a misspelt recorder or loss name in the mapping, or a recorder
  ``source`` that is no module of its network: MMRazor's
  ``AssertionError`` traceback.

By MMRazor's convention (and mmsamkd's) a loss argument that ends in
``_S`` takes the student's records and one that ends in ``_T`` the
teacher's. :func:`check_distiller` refuses the mapping slips before the
model is built; :func:`recorder_source_problem` turns MMRazor's error for
a missing source into one line naming the recorder.
"""

import re
from typing import Optional

from mmengine.config import Config

from ..errors import ConfigError
from .config_keys import did_you_mean
from .registered_types import type_name

SIDES = {True: ('student', 'S'), False: ('teacher', 'T')}
_NOT_IN_MODEL = re.compile(r'^"(.+)" is not in the model\.$')


def check_distiller(cfg: Config) -> None:
    """Each ``loss_forward_mappings`` entry names a distillation loss,
    each argument a recorder of the side it reads, an argument named for
    one side (``_S``, ``_T``) reads that side, and each distillation loss
    has an entry."""
    model = cfg.get('model')
    distiller = model.get('distiller') if hasattr(model, 'get') else None
    if not hasattr(distiller, 'get'):
        return
    _check_no_none_entries(distiller)
    path = 'model.distiller.loss_forward_mappings'
    losses = distiller.get('distill_losses') or {}
    self_distill = type_name(model) == 'SelfDistill'
    mappings = distiller.get('loss_forward_mappings') or {}
    for loss, arguments in mappings.items():
        read = {'student': [], 'teacher': []}
        if loss not in losses:
            raise ConfigError(
                f'{path}.{loss}: no distill_losses entry has that name'
                f'{did_you_mean(loss, losses)}, so its inputs would go '
                'nowhere.'
            )
        for argument, source in arguments.items():
            if not hasattr(source, 'get') or 'from_student' not in source:
                continue
            side, suffix = SIDES[bool(source['from_student'])]
            recorders = distiller.get(f'{side}_recorders') or {}
            recorder = source.get('recorder')
            if recorder not in recorders:
                raise ConfigError(
                    f'{path}.{loss}.{argument}.recorder={recorder!r} is not '
                    f'one of the {side}_recorders'
                    f'{did_you_mean(str(recorder), recorders)}.'
                )
            named_for = argument.rpartition('_')[2]
            if named_for in ('S', 'T') and named_for != suffix:
                other = SIDES[named_for == 'S'][0]
                raise ConfigError(
                    f'{path}.{loss}.{argument} reads the {side}'
                    f"'s {recorder!r}, but its _{named_for} names the "
                    f'{other}: {loss} would compare one network with '
                    f'itself and distil nothing. Set from_student='
                    f'{named_for == "S"}.'
                )
            read[side].append(recorder)
        if self_distill:
            _check_sides_apart(distiller, loss, read)
    for loss in losses:
        if loss not in mappings:
            # MMRazor computes the losses the mappings name, and no other
            raise ConfigError(
                f'model.distiller.distill_losses.{loss} has no {path} '
                'entry, so MMRazor would never compute it and the run '
                f'would train without it. Map its inputs ({path}.{loss}='
                'dict(<argument>=dict(from_student=..., recorder=...))) '
                'or remove the loss.'
            )


# the distiller's parts MMRazor builds entry by entry
PARTS = (
    'student_recorders',
    'teacher_recorders',
    'distill_losses',
    'loss_forward_mappings',
    'connectors',
)


def _check_no_none_entries(distiller) -> None:
    """An entry set to None (``--cfg-options
    model.distiller.distill_losses.loss_kd=None``, as MMEngine removes a
    default hook) stopped in an ``AttributeError`` traceback from
    MMRazor, which builds every entry."""
    for part in PARTS:
        entries = list((distiller.get(part) or {}).items())
        if part == 'loss_forward_mappings':  # loss -> argument -> source
            entries += [
                (f'{loss}.{argument}', source)
                for loss, arguments in entries
                if hasattr(arguments, 'items')
                for argument, source in arguments.items()
            ]
        for name, value in entries:
            if value is not None:
                continue
            raise ConfigError(
                f'model.distiller.{part}.{name}=None: MMRazor builds every '
                'entry there, and None removes nothing. To switch a loss '
                'off, set its loss_weight=0; to remove an entry, write '
                'model.distiller in a child config with _delete_=True '
                'without it (a loss together with its '
                'loss_forward_mappings entry).'
            )


def _record(recorder) -> dict:
    """What a recorder config records: its settings, its type's scope
    left out."""
    record = dict(recorder) if hasattr(recorder, 'items') else {}
    record['type'] = type_name(record)
    return record


def _check_sides_apart(distiller, loss: str, read: dict) -> None:
    """In self-distillation, ``loss``'s teacher side records another
    module than its student side."""
    students = distiller.get('student_recorders') or {}
    teachers = distiller.get('teacher_recorders') or {}
    for teacher in read['teacher']:
        for student in read['student']:
            if _record(teachers[teacher]) != _record(students[student]):
                continue
            source = teachers[teacher].get('source')
            raise ConfigError(
                f'model.distiller.teacher_recorders.{teacher} records '
                f'{source!r}, as student_recorders.{student} does: in '
                'self-distillation both sides read the one network, so '
                f'{loss} would compare that output with a detached copy of '
                'itself (a loss of 0) and teach nothing. Record another '
                "module on the teacher side (LightSKD's DRG: adapter.fc)."
            )


def recorder_source_problem(
    error: AssertionError, cfg: Optional[Config]
) -> Optional[ConfigError]:
    """One line for MMRazor's ``AssertionError`` of a recorder whose
    ``source`` is no module of its network, or None for another error."""
    match = _NOT_IN_MODEL.match(str(error))
    model = cfg.get('model') if cfg is not None else None
    distiller = model.get('distiller') if hasattr(model, 'get') else None
    if not match or not hasattr(distiller, 'get'):
        return None
    source = match.group(1)
    for side in ('student', 'teacher'):
        recorders = distiller.get(f'{side}_recorders') or {}
        for name, recorder in recorders.items():
            if hasattr(recorder, 'get') and recorder.get('source') == source:
                return ConfigError(
                    f'model.distiller.{side}_recorders.{name}.source='
                    f'{source!r} is no module of the {side}: give the '
                    'dotted name of one of its modules, as its '
                    'named_modules() lists them.'
                )
    return None
