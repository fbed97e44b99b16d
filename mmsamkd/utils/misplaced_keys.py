"""A config key given to a class that takes no such argument.

mmengine builds each object from the dict around its ``type`` by passing
every other key as a keyword argument. A key misspelt or set where it
does not belong (``optim_wrapper.architecture.optimizer.lr`` in a config
of one optimizer, ``param_scheduler.milestones`` on a cosine schedule)
stops the build with a ``TypeError`` traceback that names the argument
but not where the config sets it. :func:`misplaced_key` turns that error
into one line naming the key's place in the config.
"""

import inspect
import re
from typing import Any, Iterator, Optional

from mmengine.config import Config

from ..errors import ConfigError
from .registered_types import type_name

_UNEXPECTED = re.compile(
    r"(\w+)\.(\w+)\(\) got an unexpected keyword argument '(\w+)'"
)


def _places(node: Any, key: str, prefix: str = '') -> Iterator[tuple]:
    """``(dotted path, the dict's type)`` of every ``key`` in ``node``."""
    if isinstance(node, dict):
        if key in node:
            yield prefix + key, type_name(node)
        children = node.items()
    elif isinstance(node, (list, tuple)):
        children = enumerate(node)
    else:
        return
    for name, child in children:
        yield from _places(child, key, f'{prefix}{name}.')


def misplaced_key(error: TypeError, cfg: Config) -> Optional[ConfigError]:
    """The one-line error for ``error`` if the config gave ``key`` to a
    class that does not take it, else None (then it is not a config
    mistake, and its traceback is the useful report)."""
    match = _UNEXPECTED.search(str(error))
    if not match or cfg is None:
        return None
    cls, method, key = match.groups()
    places = list(_places(cfg._cfg_dict.to_dict(), key))
    # the dicts built as that class where their type says so, else those
    # of no type (built as a default class); a subclass may name its
    # base's __init__, and then every place is named
    paths = [path for path, kind in places if kind == cls]
    paths = paths or [path for path, kind in places if not kind]
    paths = paths or [path for path, _ in places]
    if not paths:
        return None
    # Runner.set_randomness(**randomness): a method, not a class, takes it
    taker = cls if method == '__init__' else f'{cls}.{method}'
    return _error(taker, key, paths)


def _error(taker: str, key: str, paths: list) -> ConfigError:
    return ConfigError(
        f'{taker} takes no argument {key!r}, which the config gives it '
        f'({", ".join(paths)}): the key is misspelt or set where it does '
        'not belong. Rename or remove it (--cfg-options adds a key that '
        'was not there).'
    )


def check_checkpoint_arguments(cfg: Config) -> None:
    """The keys of ``default_hooks.checkpoint`` that ``CheckpointHook``
    does not take are handed to ``Runner.save_checkpoint`` at the first
    save; one it does not take either stopped the run there, after a
    whole epoch of training. Refused before the Runner is built."""
    from mmengine.hooks import CheckpointHook
    from mmengine.registry import HOOKS
    from mmengine.runner import Runner

    hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if not hasattr(hook, 'get'):
        return
    kind = hook.get('type', 'CheckpointHook')
    cls = HOOKS.get(kind) if isinstance(kind, str) else kind
    if not (isinstance(cls, type) and issubclass(cls, CheckpointHook)):
        return
    taken = set()
    for base in cls.__mro__:
        if issubclass(base, CheckpointHook):  # a subclass passes on to it
            taken |= set(inspect.signature(base.__init__).parameters)
    taken |= set(inspect.signature(Runner.save_checkpoint).parameters)
    for key in hook:
        if key != 'type' and not key.startswith('_') and key not in taken:
            raise _error(
                f'{cls.__name__} (or Runner.save_checkpoint, which it '
                'passes unknown keys to at the first save)',
                key,
                [f'default_hooks.checkpoint.{key}'],
            )
