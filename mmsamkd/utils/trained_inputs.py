"""A network loaded from a checkpoint is fed inputs normalised as in the
run that trained it.

A distillation run normalises its batches once, with its own
``data_preprocessor``, for the student and the teacher alike. A teacher
trained with another mean, std or channel order then sees inputs it never
saw: in a tiny Fashion-MNIST run (mean 0, std 255 instead of the
teacher's mean 72.94, std 90.02) a teacher of 64 % validation accuracy
scored 9 %, KD trained its student on those guesses, and the run exited
0. ``tools/test.py`` with another config's normalisation reported the
accuracy of the same shifted inputs.

MMEngine keeps the config of the run that saved a checkpoint in
``meta['cfg']``; :func:`trained_normalisation` reads its normalisation,
and the checks of config_check.py compare it with the run's own. A
checkpoint without that config (a converted or downloaded one) is not
checked.
"""

import math
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

Normalisation = Dict[str, Any]


def _values(values: Any) -> Optional[Tuple[float, ...]]:
    if values is None:
        return None
    if isinstance(values, (int, float)):
        return (float(values),)
    return tuple(float(v) for v in values)


def input_normalisation(cfg: Any) -> Normalisation:
    """The ``mean``, ``std`` and channel flip (``to_rgb``, ``bgr_to_rgb``
    or ``rgb_to_bgr``) that ``cfg``'s model applies to its inputs: the
    model's ``data_preprocessor``, else the top-level one, which the
    Runner gives a model without its own."""
    model = cfg.get('model') or {}
    preprocessor = (
        model.get('data_preprocessor') if hasattr(model, 'get') else None
    )
    if not hasattr(preprocessor, 'get'):
        preprocessor = cfg.get('data_preprocessor') or {}
    flip = any(
        preprocessor.get(key) for key in ('to_rgb', 'bgr_to_rgb', 'rgb_to_bgr')
    )
    return dict(
        mean=_values(preprocessor.get('mean')),
        std=_values(preprocessor.get('std')),
        flip=bool(flip),
    )


def checkpoint_meta(path: str) -> Dict[str, Any]:
    """The ``meta`` of checkpoint ``path`` ({} where there is none or the
    file cannot be read: its loader names what is wrong with it)."""
    try:
        # mapped, not read: only the meta is wanted; a file the user named,
        # as the loader's own fallback (mmsamkd.compat, patch 2) takes it
        checkpoint = torch.load(
            osp.expanduser(path),
            map_location='cpu',
            mmap=True,
            weights_only=False,
        )
    except Exception:
        return {}
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return meta if isinstance(meta, dict) else {}


def teacher_files(model_cfg: Any) -> List[Tuple[str, str]]:
    """``(key, path)`` of each local checkpoint a teacher loads."""
    files = [('model.teacher_ckpt', model_cfg.get('teacher_ckpt'))]
    for index, path in enumerate(model_cfg.get('teacher_snapshots') or ()):
        files.append((f'model.teacher_snapshots[{index}]', path))
    return [(key, p) for key, p in files if p and '://' not in str(p)]


def trained_config(meta: Dict[str, Any]) -> Optional[Config]:
    """The config of the run that saved a checkpoint with ``meta``, or
    None where it holds none."""
    text = meta.get('cfg')
    if not isinstance(text, str):
        return None
    try:
        return Config.fromstring(text, '.py')
    except Exception:  # a config this install cannot parse: not checked
        return None


def trained_normalisation(meta: Dict[str, Any]) -> Optional[Normalisation]:
    """The input normalisation of the run that saved a checkpoint with
    ``meta``, or None where it cannot be known (no config in it)."""
    cfg = trained_config(meta)
    return None if cfg is None else input_normalisation(cfg)


def trained_classes(meta: Dict[str, Any]) -> Optional[Tuple[str, ...]]:
    """The class names, in label order, of the dataset that the run which
    saved a checkpoint with ``meta`` trained on (MMEngine keeps its
    ``metainfo``), or None."""
    classes = (meta.get('dataset_meta') or {}).get('classes')
    return tuple(classes) if classes else None


def _same(a: Optional[Tuple[float, ...]], b: Optional[Tuple[float, ...]]):
    if a is None or b is None:
        return a is b
    if len(a) != len(b) and 1 in (len(a), len(b)):
        # one value for every channel, as the preprocessor broadcasts it
        a, b = (a * len(b), b) if len(a) == 1 else (a, b * len(a))
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6) for x, y in zip(a, b)
    )


def describe(normalisation: Normalisation) -> str:
    """``'mean [72.94] std [90.02], channels as loaded'``."""

    def listed(values):
        if values is None:
            return 'none'
        return '[' + ', '.join(f'{v:g}' for v in values) + ']'

    channels = 'flipped' if normalisation['flip'] else 'as loaded'
    return (
        f'mean {listed(normalisation["mean"])} '
        f'std {listed(normalisation["std"])}, channels {channels}'
    )


def normalisation_differs(
    trained: Optional[Normalisation], used: Normalisation
) -> bool:
    """Whether ``used`` feeds a network trained with ``trained`` (None:
    unknown, never differs) other inputs."""
    if trained is None:
        return False
    return not (
        _same(trained['mean'], used['mean'])
        and _same(trained['std'], used['std'])
        and trained['flip'] == used['flip']
    )


def _listed(names: Sequence[str]) -> str:
    shown = ', '.join(names[:3])
    return shown + (f' and {len(names) - 3} more' if len(names) > 3 else '')


def classes_problem(
    trained: Optional[Sequence[str]], used: Optional[Sequence[str]]
) -> Optional[str]:
    """How the classes a checkpoint was trained on (in label order) differ
    from the classes of the data it is given, or None (also when either is
    unknown). Logit k stands for class ``trained[k]``; label k is
    ``used[k]``."""
    if not trained or not used or tuple(trained) == tuple(used):
        return None
    if sorted(trained) == sorted(used):
        k = next(i for i, (a, b) in enumerate(zip(trained, used)) if a != b)
        return (
            f'the same classes in another order (label {k} is '
            f'{trained[k]!r} there and {used[k]!r} here), so its logit k '
            'would stand for another class than label k'
        )
    return (
        f'other classes ({_listed(list(trained))}) than this data '
        f'({_listed(list(used))})'
    )
