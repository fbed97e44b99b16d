"""Config keys that nothing reads: top-level ones, and the preprocessing
of a network inside a distillation algorithm.

mmengine reads a fixed set of top-level keys (``train_cfg``,
``optim_wrapper``, ...). Any other top-level key is a config variable:
it matters only if a config file reads it by name while the config is
loaded (``teacher_ckpt=teacher_ckpt``, ``_base_.resnet14_fmnist``). Two
mistakes therefore change nothing and let the run exit 0:

- a key that nothing reads, typically a typo (``trian_cfg.max_epochs=1``);
- a new value for a variable after the entries that read it took the old
  one: ``--cfg-options teacher_ckpt=OTHER``, or a child config that sets
  ``teacher_ckpt`` which only its base reads.

One level down, a distillation algorithm with its own
``model.data_preprocessor`` preprocesses every batch with it, for the
student and the teacher alike: a ``data_preprocessor`` or ``train_cfg``
(MMPretrain's batch augments: Mixup, CutMix) set on ``model.architecture``
or ``model.teacher`` is never built into a step, so a KD run "with
Mixup" trained on unmixed images (while MMPretrain's log said batch
augments were on).

Variables of shared bases (``_base_/`` files) are a menu: a config reads
the ones it needs, and the others are not mistakes. A config without
bases (a work dir's dumped copy keeps every variable, its values already
inlined) is checked only for keys set after loading.

:func:`check_config_keys` and :func:`check_overrides` turn each into a
:class:`~mmsamkd.errors.ConfigError` naming the key and what to set.
"""

import ast
import difflib
import functools
import os
import os.path as osp
from typing import Any, Iterable, Mapping, Optional

from mmengine.config import Config

from ..errors import ConfigError

# the top-level keys that mmengine's Runner, its launch and mmsamkd's
# tools read
RUNNER_KEYS = frozenset(
    {
        'auto_scale_lr',
        'channels_last',
        'compile',
        'custom_hooks',
        'custom_imports',
        'data_preprocessor',
        'default_hooks',
        'default_scope',
        'env_cfg',
        'experiment_name',
        'launcher',
        'load_from',
        'log_level',
        'log_processor',
        'model',
        'model_wrapper_cfg',
        'optim_wrapper',
        'param_scheduler',
        'random_teacher',
        'randomness',
        'resume',
        'runner_type',
        'test_cfg',
        'test_dataloader',
        'test_evaluator',
        'train_cfg',
        'train_dataloader',
        'val_cfg',
        'val_dataloader',
        'val_evaluator',
        'visualizer',
        'work_dir',
    }
)


def _file_names(path):
    """``(assigned, read)``: the top-level names ``path`` assigns, and the
    names it reads (a name, or an attribute of ``_base_``)."""
    stat = os.stat(path)  # a file edited since is parsed again
    return _parsed_names(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=None)
def _parsed_names(path, mtime_ns, size):
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    assigned = set()
    for node in tree.body:
        targets = getattr(node, 'targets', None) or [
            getattr(node, 'target', None)
        ]
        assigned.update(t.id for t in targets if isinstance(t, ast.Name))
    read = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == '_base_'
        ):
            read.add(node.attr)
    return frozenset(assigned), frozenset(read)


def _base_tree(path):
    """``{file: [its base files]}`` for ``path`` and all its bases."""
    stat = os.stat(path)
    return _parsed_tree(osp.abspath(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=None)
def _parsed_tree(path, mtime_ns, size):
    from mmengine.config import Config

    tree, todo = {}, [osp.abspath(path)]
    while todo:
        current = todo.pop()
        if current in tree:
            continue
        bases = [
            osp.abspath(Config._get_cfg_path(base, current)[0])
            for base in Config._get_base_files(current)
        ]
        tree[current] = bases
        todo += bases
    return tree


def _paths_to(tree, root, target):
    """The files from ``root`` down to ``target`` (both included)."""
    if root == target:
        return [root]
    for base in tree[root]:
        below = _paths_to(tree, base, target)
        if below:
            return [root] + below
    return []


def _is_library(path):
    """A shared base (``_base_/``, or another package's configs), whose
    variables are a menu that each config picks from."""
    return (
        f'{osp.sep}_base_{osp.sep}' in path
        or f'{osp.sep}.mim{osp.sep}' in path
    )


def _unread_keys(cfg):
    """``{key: file that sets it}`` for top-level keys nothing reads."""
    if not cfg.filename or not osp.isfile(cfg.filename):
        return {}
    tree = _base_tree(cfg.filename)
    root = osp.abspath(cfg.filename)
    unread = {}
    for key in cfg.keys():
        if key in RUNNER_KEYS or key.startswith('_'):
            continue
        definers = [f for f in tree if key in _file_names(f)[0]]
        if not definers:
            unread[key] = None  # set after loading (--cfg-options)
            continue
        # the most derived definer: its value is the one that stays; only
        # it and the files that inherit it see that value
        chains = [_paths_to(tree, root, f) for f in definers]
        chain = min(chains, key=len)
        if _is_library(chain[-1]) or not tree[chain[-1]]:
            # a base's menu of settings, which configs pick from; or a
            # config without bases, such as a work dir's dumped copy, whose
            # variables are left over with every value inlined
            continue
        if not any(key in _file_names(f)[1] for f in chain):
            unread[key] = chain[-1]

    return unread


def _known_keys(cfg):
    read = set()
    if cfg.filename and osp.isfile(cfg.filename):
        for path in _base_tree(cfg.filename):
            read |= _file_names(path)[1]
    return RUNNER_KEYS | (read & set(cfg.keys()))


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the name of ``known`` nearest to
    ``key``, or '' where none is near."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f' (did you mean {close[0]!r}?)' if close else ''


def check_algorithm_preprocesses(cfg: Config) -> None:
    """Refuse the ``data_preprocessor`` and ``train_cfg`` of a network
    inside a distillation algorithm that has its own preprocessor."""
    model = cfg.get('model')
    if not hasattr(model, 'get') or not model.get('data_preprocessor'):
        return
    for part in ('architecture', 'teacher'):
        network = model.get(part)
        for key in ('data_preprocessor', 'train_cfg'):
            if not hasattr(network, 'get') or not network.get(key):
                continue
            instead = (
                'model.data_preprocessor.batch_augments=dict(augments=...)'
                if key == 'train_cfg'
                else 'model.data_preprocessor'
            )
            raise ConfigError(
                f'model.{part}.{key} is never used: the algorithm '
                'preprocesses every batch with its own '
                'model.data_preprocessor, for the student and the teacher '
                f'alike. Set {instead} instead.'
            )


def check_config_keys(cfg: Config) -> None:
    """Every top-level key of ``cfg`` is read by mmengine, by mmsamkd's
    tools, or by the config files that see its final value; no network
    inside a distillation algorithm carries a preprocessing of its own."""
    check_algorithm_preprocesses(cfg)
    unread = _unread_keys(cfg)
    if not unread:
        return
    key, where = sorted(unread.items())[0]
    origin = f'set in {where}' if where else 'set after loading'
    known = _known_keys(cfg)
    if key in known:  # a variable that only earlier files read
        raise ConfigError(
            f'config variable {key!r} ({origin}) is read only by the '
            'configs it inherits from, which took its value before this '
            'one, so it would change nothing. Set the entries that use it '
            'instead (e.g. model.teacher_ckpt, '
            'train_dataloader.dataset.data_root).'
        )
    raise ConfigError(
        f'top-level config key {key!r} ({origin}) is read by nothing, so '
        f'it would change nothing{did_you_mean(key, known)}. Fix the name.'
    )


def _paths_holding(node, value, prefix=''):
    """Dotted paths under ``node`` whose value equals ``value``."""
    found = []
    items = node.items() if isinstance(node, dict) else ()
    if isinstance(node, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(node))
    for key, child in items:
        path = f'{prefix}{key}'
        if type(child) is type(value) and child == value:
            found.append(path)
        elif isinstance(child, (dict, list, tuple)):
            found += _paths_holding(child, value, path + '.')
    return found


# dicts whose every entry is an object built from its own ``type``; other
# dicts of typed entries (``optim_wrapper`` holding only ``optimizer``) are
# objects themselves, and take new keys (``optim_wrapper.clip_grad``)
COLLECTIONS = frozenset(
    {
        'default_hooks',
        'distill_losses',
        'student_recorders',
        'teacher_recorders',
        'distill_deliveries',
        'connectors',
    }
)


def _path_problem(node: Any, option: str, options: Mapping) -> Optional[str]:
    """Why the dotted ``option`` cannot land where it is meant to, or None.

    mmengine merges an override by walking its path and creating the dicts
    it lacks. Through a list it needs an index, and a plain value (an
    ``int``, ``None``) takes no keys: both stopped with a ``TypeError``
    traceback. An entry created in a collection of built objects
    (``default_hooks``, a distiller's ``distill_losses``: ``COLLECTIONS``)
    has no ``type``, so a misspelt entry name stopped the build with a
    registry traceback.
    """
    parts = option.split('.')
    for depth, part in enumerate(parts):
        where = '.'.join(parts[:depth])
        if isinstance(node, (list, tuple)):
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            return (
                f'{where} is a list of {len(node)} entries; name the entry '
                f'by its index ({where}.0.{".".join(parts[depth:])}).'
            )
        if not isinstance(node, dict):
            # mmengine cannot merge settings into a value: a TypeError
            return (
                f'{where} is {node!r}, not a dict of settings, so '
                f'{".".join(parts[depth:])} has nowhere to go. Set {where} '
                'itself, or fix the path.'
            )
        if part in node:
            node = node[part]
            continue
        entries = [v for v in node.values() if v is not None]
        built = (
            depth > 0
            and parts[depth - 1] in COLLECTIONS
            and all(isinstance(v, dict) and 'type' in v for v in entries)
        )
        new_type = '.'.join(parts[: depth + 1] + ['type'])
        if built and new_type not in options:
            close = difflib.get_close_matches(part, list(node), n=1)
            hint = f' Did you mean {close[0]!r}?' if close else ''
            prefix = f'{where}.' if where else ''
            return (
                f'{where or "the config"} has no entry {part!r} (it has '
                f'{", ".join(map(repr, node))}), and a new one would have '
                f'no type to build.{hint} To add an entry, also set '
                f'{prefix}{part}.type.'
            )
        return None
    return None


def check_overrides(cfg: Config, options: Optional[Mapping[str, Any]]) -> None:
    """``options`` (``--cfg-options``, before they are merged into ``cfg``)
    must not set a config variable that entries already read: those
    entries would keep the old value."""
    model = cfg.get('model')
    tree = cfg._cfg_dict.to_dict() if options else {}
    for option in options or {}:
        key = option.split('.')[0]
        if (
            key == 'data_preprocessor'
            and hasattr(model, 'get')
            and model.get('data_preprocessor')
        ):
            # the Runner gives the top-level one only to a model without
            raise ConfigError(
                f'--cfg-options {option}: the model has its own '
                'data_preprocessor, which the Runner uses instead of the '
                'top-level one, so the new value would reach nothing. Set '
                f'model.{option} instead.'
            )
        problem = _path_problem(tree, option, options)
        if problem:
            raise ConfigError(f'--cfg-options {option}: {problem}')
        if key in RUNNER_KEYS or key not in cfg:
            continue  # a key nothing knows is caught by check_config_keys
        old = cfg[key]
        others = {k: v for k, v in cfg.items() if k != key}
        holders = _paths_holding(others, old)
        where = (
            f' Set {", ".join(holders[:4])} instead.'
            if holders and '.' not in option
            else ''
        )
        raise ConfigError(
            f'--cfg-options {option}: {key!r} is a config variable that '
            'the config read when it was loaded, so the new value would '
            f'reach nothing.{where}'
        )
