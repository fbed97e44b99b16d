"""Strict loading: a distillation teacher's checkpoint, the checkpoint
that ``tools/test.py`` evaluates, and a run's ``load_from``.

MMRazor loads ``teacher_ckpt`` with ``strict=False``: a checkpoint of
another network, of another class count, or of a teacher without the
branches a method needs leaves those weights random, with only warnings
among the log lines, and the run exits 0. :func:`load_teacher_checkpoint`
replaces that loader (``mmsamkd.compat``) and refuses such a checkpoint.
"""

import os.path as osp
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict

from ..errors import CheckpointError
from .checkpoint_files import last_intact
from .registered_types import type_name

BRANCH_PREFIX = 'ss_branches.'
PROJECTION_PREFIX = 'proj_head.'
SHOWN = 3  # keys named in a message


def key_examples(keys: Sequence[str]) -> str:
    keys = list(keys)
    more = f' and {len(keys) - SHOWN} more' if len(keys) > SHOWN else ''
    return ', '.join(keys[:SHOWN]) + more


def missing_and_mismatched(
    expected: Mapping[str, Any],
    state_dict: Mapping[str, Any],
    role: str = 'model',
) -> Tuple[List[str], List[str]]:
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


def misfit(
    missing: Sequence[str], mismatched: Sequence[str], total: int
) -> str:
    """``'N of its M weights are missing (...); K have another shape
    (...)'`` for the lists of :func:`missing_and_mismatched`."""
    problems = []
    if missing:
        problems.append(
            f'{len(missing)} of its {total} weights are missing '
            f'({key_examples(missing)})'
        )
    if mismatched:
        shapes = key_examples(mismatched)
        problems.append(f'{len(mismatched)} have another shape ({shapes})')
    return '; '.join(problems)


def teacher_state_problem(
    teacher: nn.Module, state_dict: Mapping[str, Any], filename: str
) -> Optional[str]:
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
    # what the checkpoint is, for a teacher stage missing its own part
    if any(k.startswith(BRANCH_PREFIX) for k in state_dict):
        kind = 'an HSAKD-family teacher (self-supervised branches)'
    elif any(k.startswith(PROJECTION_PREFIX) for k in state_dict):
        kind = 'an SSKD teacher (a projection head)'
    else:
        kind = 'a plain teacher'
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
            f'({key_examples(missing)} are missing): it is {kind}, '
            'and this method distils from the branches. Train the '
            'ssa-frozen teacher (configs/teachers/<teacher>_ssa-frozen_'
            '<...>.py, load_from=this checkpoint) and pass its checkpoint.'
        )
    if missing and all(k.startswith(PROJECTION_PREFIX) for k in missing):
        return (
            f'teacher_ckpt {filename} has no projection head '
            f'({key_examples(missing)} are missing): it is {kind}, '
            "and SSKD distils its projections too. Train the teacher's "
            'projection head (configs/teachers/<teacher>_sskd-head_<...>'
            '.py, load_from=this checkpoint) and pass its checkpoint.'
        )
    return (
        f'teacher_ckpt {filename} does not fit the {name} teacher: '
        f'{misfit(missing, mismatched, len(expected))}. Check that the '
        'teacher config (network, '
        'class count, branches) is the one the checkpoint was trained with.'
    )


def load_teacher_checkpoint(
    model: nn.Module,
    filename: str,
    map_location: Any = None,
    strict: bool = False,
    logger: Any = None,
    revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''),),
) -> dict:
    """:func:`mmengine.runner.load_checkpoint`, refusing misfits.

    Same arguments; raises :class:`CheckpointError` with one line naming
    the file, what is missing or has another shape, and the fix, when the
    checkpoint does not cover ``model`` or cannot be read.
    """
    try:
        checkpoint = _load_checkpoint(filename, map_location, logger)
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        if isinstance(error, CheckpointError) and '://' in str(filename):
            raise  # the URL loader's own line (url_checkpoint.py)
        if isinstance(error, CheckpointError):
            # the loader's fix (--resume) is for a run's own checkpoints
            intact = last_intact(osp.dirname(osp.abspath(filename)), filename)
            fix = (
                f'point model.teacher_ckpt to {intact}, the last intact '
                "checkpoint of the teacher's run, or retrain the teacher"
                if intact
                else 'retrain the teacher'
            )
            raise CheckpointError(
                f'teacher_ckpt {filename} is damaged: it does not match its '
                f'checksum or cannot be read; {fix}.'
            ) from None
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


DISTILL_PREFIX = 'architecture.'


def plain_state_dict(checkpoint: Mapping[str, Any]) -> Dict[str, Any]:
    """A checkpoint's state dict, keys without a DDP ``module.`` prefix."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    return {
        k[len('module.') :] if k.startswith('module.') else k: v
        for k, v in state_dict.items()
    }


def upgraded_state_dict(
    model: nn.Module, state_dict: Mapping[str, Any]
) -> Dict[str, Any]:
    """``state_dict`` with the keys of earlier module layouts renamed as
    ``model`` renames them when it loads (each module with an
    ``upgrade_state_dict(state_dict, prefix)``), so that a check of the
    keys sees what loading will see. The input is left as it is."""
    state_dict = dict(state_dict)
    for name, module in model.named_modules():
        upgrade = getattr(module, 'upgrade_state_dict', None)
        if callable(upgrade):
            upgrade(state_dict, f'{name}.' if name else '')
    return state_dict


def distillation_mix_up(
    expected: Mapping[str, Any], state_dict: Mapping[str, Any]
) -> Optional[str]:
    """``'distillation checkpoint'`` for a distillation run's weights (the
    student under ``architecture.*``) given to a plain classifier,
    ``'plain checkpoint'`` for the reverse, else None."""
    distill_model = any(k.startswith(DISTILL_PREFIX) for k in expected)
    distill_ckpt = any(k.startswith(DISTILL_PREFIX) for k in state_dict)
    if distill_ckpt and not distill_model:
        return 'distillation checkpoint'
    if distill_model and not distill_ckpt:
        return 'plain checkpoint'
    return None


def evaluated_checkpoint_problem(
    model: nn.Module, state_dict: Mapping[str, Any], filename: str, config: str
) -> Optional[str]:
    """Why ``state_dict`` cannot be evaluated as ``model`` (built from
    ``config``), or None. mmengine loads it with ``strict=False``, which
    reported a random model's accuracy with rc 0.

    Every weight of ``model`` must be in it with its shape; extra keys are
    allowed (a teacher's branches under its plain config). The two usual
    mix-ups get their own fix: a distillation run's checkpoint under a
    student's config, and a plain classifier under a distillation config.
    """
    expected = model.state_dict()
    missing, mismatched = missing_and_mismatched(expected, state_dict)
    if not missing and not mismatched:
        return None
    mix_up = distillation_mix_up(expected, state_dict)
    if mix_up == 'distillation checkpoint':
        return (
            f'{filename} is the checkpoint of a distillation run, whose '
            f'student is under architecture.*, but {config} builds a plain '
            'classifier. Test it with the distillation config it was '
            'trained with, or export its student first '
            '(tools/export_student.py CKPT) and test that.'
        )
    if mix_up == 'plain checkpoint':
        return (
            f'{filename} holds a plain classifier (an exported student, or '
            f"a teacher's run), but {config} builds a distillation model. "
            "Test it with the classifier's own config (the one "
            'export_student.py wrote beside it, or the configs/vanilla/ '
            'or configs/teachers/ config it was trained with).'
        )
    return (
        f'{filename} does not fit the model of {config}: '
        f'{misfit(missing, mismatched, len(expected))}. Test it with the '
        'config it was trained '
        'with.'
    )


# what a start from other weights may lack or replace: the classifier's
# head (another class count) and the heads a self-supervised stage adds
NEW_HEAD_PREFIXES = tuple(
    prefix + head
    for prefix in ('', DISTILL_PREFIX)
    for head in ('head.', BRANCH_PREFIX, PROJECTION_PREFIX)
)


def loaded_checkpoint_problem(
    model: nn.Module, state_dict: Mapping[str, Any], filename: str, config: str
) -> Optional[str]:
    """Why ``load_from`` = ``state_dict`` cannot start ``model`` (built from
    ``config``), or None. mmengine loads it with ``strict=False``, which
    trained a random network with rc 0, the keys it skipped among the
    log lines.

    Every weight outside the classifier's head must be in it with its
    shape. The head may be absent or of another shape (fine-tuning for
    another class count replaces it), and so may the branches or
    projection head that a self-supervised stage adds to a plain
    network: those start as initialised.
    """
    expected = {
        k: v
        for k, v in model.state_dict().items()
        if not k.startswith(NEW_HEAD_PREFIXES)
    }
    missing, mismatched = missing_and_mismatched(expected, state_dict)
    if not missing and not mismatched:
        return replaced_teacher_problem(model, state_dict, filename)
    mix_up = distillation_mix_up(expected, state_dict)
    if mix_up == 'distillation checkpoint':
        return (
            f'load_from {filename} is the checkpoint of a distillation run, '
            f'whose student is under architecture.*, but {config} builds a '
            'plain classifier: none of its weights would load and the run '
            'would train from random ones. Export its student first '
            '(tools/export_student.py CKPT) and load that.'
        )
    if mix_up == 'plain checkpoint':
        return (
            f'load_from {filename} holds a plain classifier, but {config} '
            'builds a distillation model: none of its weights would load. A '
            'teacher goes in model.teacher_ckpt.'
        )
    return (
        f'load_from {filename} does not fit the model of {config}: '
        f'{misfit(missing, mismatched, len(expected))}, and those weights '
        'would start random. Load a checkpoint of the same network (only '
        'its heads may differ).'
    )


def replaced_teacher_problem(
    model: nn.Module, state_dict: Mapping[str, Any], filename: str
) -> Optional[str]:
    """Why ``load_from`` = ``state_dict`` would swap the teacher that
    ``teacher_ckpt`` gave ``model``, or None.

    ``load_from`` loads the whole algorithm, teacher included: a KD run
    started from another KD run's checkpoint trained under that run's
    teacher, while its config, record and comparison named its own
    ``teacher_ckpt``.
    """
    changed = [
        key
        for key, value in model.state_dict().items()
        if key.startswith('teacher.')
        and key in state_dict
        and not torch.equal(value.cpu(), state_dict[key].cpu())
    ]
    if not changed:
        return None
    return (
        f'load_from {filename} holds a teacher other than the one '
        f'model.teacher_ckpt gave this run ({key_examples(changed)} '
        'differ): the run would train under that teacher, not the one its '
        'config names. Set model.teacher_ckpt to the teacher that run '
        'learnt from, or start only the student from it: export it '
        '(tools/export_student.py CKPT) and load that, instead of '
        'load_from, with --cfg-options '
        'model.architecture.init_cfg.type=Pretrained '
        'model.architecture.init_cfg.checkpoint=STUDENT.'
    )


def _pretrained_inits(module: nn.Module) -> List[Mapping[str, Any]]:
    init_cfg = getattr(module, 'init_cfg', None)
    inits = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return [
        init
        for init in inits
        if hasattr(init, 'get') and type_name(init) == 'Pretrained'
    ]


def pretrained_init_problem(model: nn.Module) -> Optional[str]:
    """Why an ``init_cfg=dict(type='Pretrained', ...)`` in ``model`` would
    leave weights random, or None.

    mmengine's ``PretrainedInit`` loads with ``strict=False``: a teacher
    whose ``init_cfg`` named another network's checkpoint (a way to give
    a teacher weights without ``teacher_ckpt``) stayed random, and the
    run exited 0. Each module with such an ``init_cfg`` must find all of
    its weights outside its heads (as for ``load_from``) in the file,
    under ``prefix`` where one is given.
    """
    from mmengine.runner.checkpoint import _load_checkpoint_with_prefix

    for name, module in model.named_modules():
        for init in _pretrained_inits(module):
            filename, prefix = init.get('checkpoint'), init.get('prefix')
            where = f'{name}.init_cfg' if name else 'init_cfg'
            under = f' (prefix {prefix!r})' if prefix else ''
            try:
                if prefix is None:
                    state_dict = plain_state_dict(
                        _load_checkpoint(filename, map_location='cpu')
                    )
                else:
                    state_dict = _load_checkpoint_with_prefix(
                        prefix, filename, map_location='cpu'
                    )
            except FileNotFoundError:
                return (
                    f'{where} loads {filename}, which does not exist. Point '
                    'its checkpoint at an existing file.'
                )
            expected = {
                k: v
                for k, v in module.state_dict().items()
                if not k.startswith(NEW_HEAD_PREFIXES)
            }
            missing, mismatched = missing_and_mismatched(expected, state_dict)
            if missing or mismatched:
                problem = misfit(missing, mismatched, len(expected))
                return (
                    f'{where} loads {filename}{under}, which does not fit '
                    f'that module: {problem}, and those weights would stay '
                    'random. Point its checkpoint (and prefix) at weights of '
                    'the same network.'
                )
    return None
