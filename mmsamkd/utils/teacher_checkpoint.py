"""Strict loading of a distillation teacher's checkpoint.

MMRazor loads ``teacher_ckpt`` with ``strict=False``: a checkpoint of
another network, of another class count, or of a teacher without the
branches a method needs leaves those weights random, with only warnings
among the log lines, and the run exits 0. :func:`load_teacher_checkpoint`
replaces that loader (``mmsamkd.compat``) and refuses such a checkpoint.
"""

import re
from collections import OrderedDict

from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict

from ..errors import CheckpointError

BRANCH_PREFIX = 'ss_branches.'
PROJECTION_PREFIX = 'proj_head.'
SHOWN = 3  # keys named in a message


def key_examples(keys):
    keys = list(keys)
    more = f' and {len(keys) - SHOWN} more' if len(keys) > SHOWN else ''
    return ', '.join(keys[:SHOWN]) + more


def missing_and_mismatched(expected, state_dict, role='model'):
    """The keys of ``expected`` (a state dict) absent from ``state_dict``,
    and ``'key (shape) in the checkpoint, (shape) in the <role>'`` for
    those of another shape."""
    missing = [k for k in expected if k not in state_dict]
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} in the checkpoint, '
        f'{tuple(v.shape)} in the {role}'
        for k, v in expected.items()
        if k in state_dict
        and hasattr(state_dict[k], 'shape')
        and state_dict[k].shape != v.shape
    ]
    return missing, mismatched


def teacher_state_problem(teacher, state_dict, filename):
    """Why ``state_dict`` cannot be ``teacher``'s weights, or None.

    Every parameter and buffer of ``teacher`` must be in ``state_dict``
    with its shape; keys the teacher lacks (e.g. the branches of an
    HSAKD teacher used for KD) are allowed.
    """
    expected = teacher.state_dict()
    missing, mismatched = missing_and_mismatched(
        expected, state_dict, 'teacher'
    )
    if not missing and not mismatched:
        return None
    name = type(teacher).__name__
    if len(missing) == len(expected):
        return (
            f"teacher_ckpt {filename} holds none of the {name} teacher's "
            f'{len(expected)} weights (its keys: {key_examples(state_dict)}). '
            'Is it the checkpoint of another network? Set '
            'model.teacher_ckpt to the epoch_N.pth that tools/train.py '
            "wrote for the teacher's config."
        )
    if missing and all(k.startswith(BRANCH_PREFIX) for k in missing):
        return (
            f'teacher_ckpt {filename} has no self-supervised branches '
            f'({key_examples(missing)} are missing): it is a plain teacher, '
            'and this method distils from the branches. Train the '
            'ssa-frozen teacher (configs/teachers/<teacher>_ssa-frozen_'
            '<...>.py, load_from=this checkpoint) and pass its checkpoint.'
        )
    if missing and all(k.startswith(PROJECTION_PREFIX) for k in missing):
        return (
            f'teacher_ckpt {filename} has no projection head '
            f'({key_examples(missing)} are missing): it is a plain teacher, '
            "and SSKD distils its projections too. Train the teacher's "
            'projection head (configs/teachers/<teacher>_sskd-head_<...>'
            '.py, load_from=this checkpoint) and pass its checkpoint.'
        )
    problems = []
    if missing:
        problems.append(
            f'{len(missing)} of its {len(expected)} weights are missing '
            f'({key_examples(missing)})'
        )
    if mismatched:
        problems.append(
            f'{len(mismatched)} have another shape ({key_examples(mismatched)})'
        )
    return (
        f'teacher_ckpt {filename} does not fit the {name} teacher: '
        f'{"; ".join(problems)}. Check that the teacher config (network, '
        'class count, branches) is the one the checkpoint was trained with.'
    )


def load_teacher_checkpoint(
    model,
    filename,
    map_location=None,
    strict=False,
    logger=None,
    revise_keys=((r'^module\.', ''),),
):
    """:func:`mmengine.runner.load_checkpoint`, refusing misfits.

    Same arguments; raises :class:`CheckpointError` with one line naming
    the file, what is missing or has another shape, and the fix, when the
    checkpoint does not cover ``model`` or cannot be read.
    """
    try:
        checkpoint = _load_checkpoint(filename, map_location, logger)
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        if isinstance(error, (FileNotFoundError, CheckpointError)):
            raise
        raise CheckpointError(
            f'teacher_ckpt {filename} cannot be read ({type(error).__name__}'
            f': {str(error).splitlines()[0] if str(error) else ""}); it may '
            'be truncated or not a checkpoint. Point model.teacher_ckpt to '
            'an intact epoch_N.pth of the teacher.'
        ) from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'teacher_ckpt {filename} holds a {type(checkpoint).__name__}, '
            'not a checkpoint dict; save the teacher with tools/train.py.'
        )
    state_dict = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict(
            (re.sub(pattern, replacement, k), v) for k, v in state_dict.items()
        )
    problem = teacher_state_problem(model, state_dict, filename)
    if problem:
        raise CheckpointError(problem)
    load_state_dict(model, state_dict, strict, logger)
    return checkpoint
