"""Config parts that cannot be built: a ``type`` no registry holds, a
config without the parts a run needs.

A misspelt ``type`` (``model.backbone.type=ResNet9``,
``param_scheduler.type=CosineAnnealingLr``) otherwise surfaces as a
registry ``KeyError`` from deep inside the Runner's build, or, for an
optimizer, as ``TypeError: None is not a callable object``; a ``_base_``
file given to ``tools/train.py`` as ``KeyError: 'model'``.
:func:`check_registered_types` and :func:`check_run_parts` refuse both
before anything is built, naming the key and the nearest registered
names.
"""

import difflib
import importlib
import re
from typing import Any, Iterator, List, Set, Tuple

from mmengine.config import Config
from mmengine.registry import Registry
from mmengine.utils import get_object_from_string

from ..errors import ConfigError
from .config_keys import RUNNER_KEYS

# MMEngine's three parts of each loop, all set or all None
LOOP_PARTS = (
    ('train_dataloader', 'train_cfg', 'optim_wrapper'),
    ('val_dataloader', 'val_cfg', 'val_evaluator'),
    ('test_dataloader', 'test_cfg', 'test_evaluator'),
)

# what each tool builds, and so needs in its config
RUN_PARTS = {
    'train': ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper'),
    'test': ('model', 'test_dataloader', 'test_evaluator'),
}


def type_name(node: Any, default: str = '') -> str:
    """A config node's ``type`` without its scope (``'mmrazor.Foo'`` ->
    ``'Foo'``); ``default`` where the node sets none."""
    return str(node.get('type', default)).split('.')[-1]


def _registries() -> List[Registry]:
    """Every registry of every installed OpenMMLab scope: mmengine's roots
    and their children (mmpretrain's, mmrazor's, ...), and the registries
    without a parent that a scope's ``registry`` module defines
    (mmpretrain's ``BATCH_AUGMENTS``: Mixup, CutMix), their modules
    imported."""
    import mmengine.registry.root as root

    def tree(registries):
        found, todo = [], list(registries)
        while todo:
            registry = todo.pop()
            found.append(registry)
            todo += registry.children.values()
        return found

    found = tree(v for v in vars(root).values() if isinstance(v, Registry))
    for scope in sorted({registry.scope for registry in found}):
        try:
            module = importlib.import_module(f'{scope}.registry')
        except ImportError:
            continue
        found += tree(
            value
            for value in vars(module).values()
            if isinstance(value, Registry)
            and value.parent is None
            and value not in found  # mmengine's roots
        )
    for registry in found:
        registry.import_from_location()
    return found


def registered_names() -> Tuple[Set[str], Set[str]]:
    """``(names, scopes)``: every name some registry holds, and the
    scopes that name a registry (``mmpretrain`` in
    ``mmpretrain.ResNet``)."""
    names, scopes = set(), set()
    for registry in _registries():
        names.update(registry.module_dict)
        scopes.add(registry.scope)
    return names, scopes


def config_types(node: Any, path: str = '') -> Iterator[Tuple[str, str]]:
    """``(dotted path, name)`` of every ``type`` given as a name in
    ``node``, through nested dicts and lists."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield f'{path}.type' if path else 'type', node['type']
        for key, child in node.items():
            yield from config_types(child, f'{path}.{key}' if path else key)
    elif isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            yield from config_types(child, f'{path}[{index}]')


def _recorder(path: str) -> bool:
    """A recorder's ``type``: mmrazor's recorder manager builds
    ``type + 'Recorder'`` from the entries of ``*_recorders``."""
    return re.search(r'recorders\.[^.]+\.type$', path) is not None


def _spellings(names: Set[str], recorder: bool) -> Set[str]:
    """The names a config can write at a place."""
    if recorder:
        return {n[: -len('Recorder')] for n in names if n.endswith('Recorder')}
    return names


def _either(names: List[str]) -> str:
    quoted = [repr(n) for n in names]
    head = ', '.join(quoted[:-1])
    return f'{head} or {quoted[-1]}' if head else quoted[-1]


def _resolves(name: str, names: Set[str], scopes: Set[str]) -> bool:
    scope, _, key = name.rpartition('.')
    if not scope:
        return name in names
    if scope in scopes and key in names:
        return True
    try:  # a full import path, as mmengine's registries also take
        return get_object_from_string(name) is not None
    except ValueError:  # importlib's 'Empty module name' ('..Net')
        return False


def check_registered_types(cfg: Config) -> None:
    """Each ``type`` given as a name is held by some registry (or is an
    importable ``package.module.Class`` path)."""
    names, scopes = registered_names()
    # the parts the Runner builds; other top-level keys are variables,
    # already inlined where an entry reads them
    read = {
        key: value
        for key, value in cfg._cfg_dict.to_dict().items()
        if key in RUNNER_KEYS
    }
    for path, name in config_types(read):
        recorder = _recorder(path)
        if _resolves(name + 'Recorder' * recorder, names, scopes):
            continue
        near = difflib.get_close_matches(
            name.rpartition('.')[2], _spellings(names, recorder), n=3
        )
        hint = f'; did you mean {_either(near)}?' if near else '.'
        raise ConfigError(
            f'{path}={name!r} is registered nowhere (no mmengine, '
            f'mmpretrain, mmrazor or mmsamkd registry holds it){hint} Fix '
            'the name, or import the module that registers it with '
            "custom_imports=dict(imports=['your.module'])."
        )


def check_run_parts(cfg: Config, purpose: str, config: str) -> None:
    """``config`` holds what ``purpose`` (``'train'`` or ``'test'``)
    builds; a ``_base_`` file or a fragment does not."""
    missing = [key for key in RUN_PARTS[purpose] if not cfg.get(key)]
    if missing:
        raise ConfigError(
            f'{config} has no {", ".join(missing)}: it is not a config of a '
            f'whole run (a _base_ file holds a part of one). Give a config '
            'under configs/<method>/, configs/vanilla/ or configs/teachers/, '
            'or a file that inherits the missing parts from one.'
        )


def _listed(keys: List[str]) -> str:
    return ', '.join(keys) + (' is' if len(keys) == 1 else ' are')


def check_loop_parts(cfg: Config) -> None:
    """Each loop's three parts are all set or all None, and an evaluator
    list holds a metric: ``val_cfg=None`` beside a validation loader
    stopped in the Runner's constructor with a ``ValueError`` that prints
    the whole loader; ``val_evaluator=[]`` validated to no metric, rc 0,
    leaving nothing to select a checkpoint on."""
    for parts in LOOP_PARTS:
        given = [key for key in parts if cfg.get(key) is not None]
        if given and len(given) < len(parts):
            unset = [key for key in parts if key not in given]
            raise ConfigError(
                f'{_listed(unset)} None but {_listed(given)} set: MMEngine '
                f'builds the loop from all {len(parts)}. Set '
                f'{", ".join(unset)} (inherit them with the rest, e.g. '
                'from configs/_base_/default_runtime.py), or set all '
                f'{len(parts)} to None to run without that loop.'
            )
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        if isinstance(evaluator, (list, tuple)) and not evaluator:
            raise ConfigError(
                f'{key} is an empty list: the loop would compute no metric, '
                'and no checkpoint could be chosen by one. Give it an '
                "evaluator (dict(type='Accuracy', topk=(1,))), or set it "
                "and the loop's other two parts to None."
            )
