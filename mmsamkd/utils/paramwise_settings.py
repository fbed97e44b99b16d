"""Per-parameter optimizer settings (``paramwise_cfg``) that nothing reads.

MMEngine's ``DefaultOptimWrapperConstructor`` reads the ``paramwise_cfg``
keys it knows with ``.get``, and copies each custom key's settings into
the parameter group of every parameter whose name contains that key.
So four mistakes leave every parameter on the optimizer's own settings,
and the run ends rc 0 with a model trained otherwise than asked:

- a misspelt key: ``norm_decay_mul=0`` leaves weight decay on the norms;
- a misspelt setting of a custom key: ``lr_mul=0`` joins the parameter
  group, where no optimizer reads it, and the part trains at full rate;
- a custom key that no parameter name contains: ``student.backbone`` in
  a distiller, whose student's parameters are ``architecture.*``;
- a ``paramwise_cfg`` beside no optimizer: on top of SAMKD's
  ``architecture`` and ``adversary`` entries, where its constructor
  never reads it.

:func:`check_paramwise` refuses the first two and the last from the
config; :func:`check_custom_keys` refuses the third once the parameters
exist, when the optimizer is built.
"""

import inspect
from typing import Any, Iterator, Mapping, Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import OPTIMIZERS

from ..errors import ConfigError
from .config_keys import did_you_mean

# the keys DefaultOptimWrapperConstructor reads
PARAMWISE_KEYS = (
    'bias_decay_mult',
    'bias_lr_mult',
    'bypass_duplicate',
    'custom_keys',
    'dcn_offset_lr_mult',
    'dwconv_decay_mult',
    'flat_decay_mult',
    'norm_decay_mult',
)
# what a custom key's settings may hold besides the optimizer's arguments
CUSTOM_MULTIPLIERS = ('decay_mult', 'lr_mult')
# constructors that give each entry's paramwise_cfg to MMEngine's default
DEFAULT_READERS = (
    'DefaultOptimWrapperConstructor',
    'SAMKDOptimWrapperConstructor',
)


def _optimizer_arguments(optimizer: Any) -> Tuple[str, ...]:
    """The arguments an optimizer config's class takes besides its
    parameters, or () where the class is not registered."""
    kind = optimizer.get('type') if hasattr(optimizer, 'get') else None
    cls = kind if inspect.isclass(kind) else None
    if isinstance(kind, str):
        cls = OPTIMIZERS.get(kind)
    if cls is None:
        return ()
    return tuple(
        name
        for name in inspect.signature(cls.__init__).parameters
        if name not in ('self', 'params', 'args', 'kwargs')
    )


def _paramwise_cfgs(node: Any, path: str) -> Iterator[Tuple[str, Any, Any]]:
    """``(path, paramwise_cfg, the dict holding it)`` under ``node``."""
    if not hasattr(node, 'items'):
        return
    if hasattr(node.get('paramwise_cfg'), 'items'):
        yield f'{path}.paramwise_cfg', node['paramwise_cfg'], node
    for key, child in node.items():
        if key not in ('paramwise_cfg', 'optimizer'):
            yield from _paramwise_cfgs(child, f'{path}.{key}')


def check_paramwise(cfg: Config) -> None:
    """Refuse a ``paramwise_cfg`` key or custom-key setting that MMEngine
    does not read, and a ``paramwise_cfg`` beside no optimizer; only under
    the constructors that pass it to MMEngine's default one (another
    constructor reads keys of its own)."""
    optim_wrapper = cfg.get('optim_wrapper')
    if not hasattr(optim_wrapper, 'get'):
        return
    constructor = str(
        optim_wrapper.get('constructor', DEFAULT_READERS[0])
    ).rpartition('.')[2]
    if constructor not in DEFAULT_READERS:
        return
    for path, paramwise, holder in _paramwise_cfgs(
        optim_wrapper, 'optim_wrapper'
    ):
        if 'optimizer' not in holder:
            entries = [
                k
                for k, v in holder.items()
                if hasattr(v, 'get') and 'optimizer' in v
            ]
            raise ConfigError(
                f'{path} sits beside no optimizer, so no optimizer reads '
                "it and every parameter would train on its optimizer's "
                'own settings. Give each entry its own: '
                + ', '.join(
                    f'{path.rpartition(".")[0]}.{e}.paramwise_cfg'
                    for e in entries
                )
                + '.'
            )
        for key in paramwise:
            if key not in PARAMWISE_KEYS:
                raise ConfigError(
                    f'{path}.{key}: MMEngine reads no such key'
                    f'{did_you_mean(key, PARAMWISE_KEYS)}, so it would change '
                    'nothing. It reads '
                    f'{", ".join(PARAMWISE_KEYS)}.'
                )
        allowed = CUSTOM_MULTIPLIERS + _optimizer_arguments(
            holder['optimizer']
        )
        if len(allowed) == len(CUSTOM_MULTIPLIERS):
            continue  # an optimizer we cannot read: its names are unknown
        for name, settings in (paramwise.get('custom_keys') or {}).items():
            for key in settings if hasattr(settings, 'items') else ():
                if key not in allowed:
                    raise ConfigError(
                        f'{path}.custom_keys[{name!r}].{key}: neither a '
                        f'multiplier ({" or ".join(CUSTOM_MULTIPLIERS)}) '
                        f'nor an argument of {holder["optimizer"]["type"]}'
                        f'{did_you_mean(key, allowed)}, so the parameters of '
                        f"{name!r} would train on the optimizer's own "
                        'settings.'
                    )


def parameter_names(module: nn.Module) -> Iterator[str]:
    """Each parameter's name as MMEngine's default constructor matches
    custom keys against it (a root parameter's name starts with a dot)."""
    for prefix, child in module.named_modules():
        for name, _ in child.named_parameters(recurse=False):
            yield f'{prefix}.{name}'


def check_custom_keys(
    module: nn.Module, paramwise: Mapping[str, Any], path: str
) -> None:
    """Refuse a custom key of ``paramwise`` (at ``path``) that no name of
    ``module``'s parameters contains: it would set nothing."""
    custom_keys = (paramwise or {}).get('custom_keys') or {}
    if not custom_keys:
        return
    names = list(parameter_names(module))
    for key in custom_keys:
        if not any(key in name for name in names):
            example = (
                f'Those names look like {names[0].lstrip(".")!r}; use a '
                'part of such a name.'
                if names
                else 'It has no parameters.'
            )
            raise ConfigError(
                f'{path}.custom_keys[{key!r}] is in no parameter name of '
                'the model that optimizer trains, so it would set '
                f'nothing. {example}'
            )
