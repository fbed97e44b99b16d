"""A class built from the config that refused the settings it was given.

Many OpenMMLab classes check their arguments with a bare ``assert`` or a
``ValueError`` in ``__init__``: MMPretrain's ``Mixup`` and ``CutMix`` take
``alpha=1.0`` but stop on ``alpha=1``, MMCV's ``RandomFlip`` stops on
``prob=1`` or ``direction='horisontal'``. The run then ends in a traceback
whose last line is ``AssertionError`` alone, through the registry's build
functions, naming neither the setting nor where the config sets it.
:func:`constructor_error` turns such an error into one line that names
the config entry, the check that failed and the values it tested.
"""

import os.path as osp
import re
import traceback
from typing import Any, List, Optional, Tuple

from ..errors import ConfigError
from .registered_types import config_types

_NAME = re.compile(r'\b[A-Za-z_]\w*\b')


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 (tensors and the like: no match)
        return False


def _entries(
    tree: dict, typed: List[Tuple[str, str]], cls: str, given: dict
) -> List[str]:
    """The dotted places (``--cfg-options`` style) of the dicts of the
    config ``tree`` built as ``cls`` (``typed``: its ``config_types``);
    where several are, those whose settings match the arguments ``given``
    to the failing constructor."""
    found = []
    for path, name in typed:
        if name.rpartition('.')[2] != cls:
            continue
        path = re.sub(r'\[(\d+)\]', r'.\1', path[: -len('.type')])
        node = tree
        for key in path.split('.') if path else ():
            node = node[int(key)] if isinstance(node, list) else node[key]
        score = sum(
            1
            for key, value in node.items()
            if key != 'type' and key in given and _same(given[key], value)
        )
        found.append((score, path))
    best = max((score for score, _ in found), default=0)
    return [path for score, path in found if score == best]


def _shown(value: Any) -> Optional[str]:
    """A short rendering of a plain setting, None for anything else."""
    if isinstance(value, (bool, int, float, str, type(None), tuple, list)):
        text = repr(value)
        return text if len(text) <= 60 else None
    return None


def constructor_error(error: Exception, cfg: Any) -> Optional[ConfigError]:
    """One line for an ``AssertionError`` or ``ValueError`` that the
    constructor of a class the config names (or code it called) raised,
    or None where the error came from elsewhere (then its traceback is the
    useful report)."""
    if cfg is None or not isinstance(error, (AssertionError, ValueError)):
        return None
    frames = list(traceback.walk_tb(error.__traceback__))
    tree = cfg._cfg_dict.to_dict()
    typed = list(config_types(tree))
    types = {name.rpartition('.')[2] for _, name in typed}
    built = None
    for frame, _ in reversed(frames):
        owner = frame.f_locals.get('self')
        cls = type(owner).__name__
        if frame.f_code.co_name == '__init__' and cls in types:
            built = cls, dict(frame.f_locals)
            break
    if built is None:
        return None
    cls, given = built
    entries = _entries(tree, typed, cls, given)
    if not entries:
        return None
    raiser, lineno = frames[-1]
    place = raiser.f_code.co_filename.split('site-packages' + osp.sep)[-1]
    message = ' '.join(str(error).split())
    whole = "'int'" in message
    if isinstance(error, ValueError):
        what = f'{message.rstrip(".")} ({place}:{lineno})'
    else:
        line = traceback.extract_tb(error.__traceback__)[-1].line or ''
        tested = {
            name: raiser.f_locals[name]
            for name in _NAME.findall(line)
            if name != 'self'
            and name in raiser.f_locals
            and _shown(raiser.f_locals[name]) is not None
        }
        whole = whole or any(type(v) is int for v in tested.values())
        shown = [f'{k}={_shown(v)}' for k, v in tested.items()]
        what = f'`{line}` failed at {place}:{lineno}'
        what += f' with {", ".join(shown)}' if shown else ''
        what += f': {message}' if message else ''
    # OpenMMLab's checks often test isinstance(x, float): 1 is refused
    hint = ' (1.0, not 1, where it asks for a float)'
    hint = hint if whole and 'float' in what else ''
    return ConfigError(
        f'{" or ".join(entries)} ({cls}) refused its settings: {what}. '
        f'Give it values that pass this check{hint}.'
    )
