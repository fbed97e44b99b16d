"""Two optimizers for SAMKD: the student side and the discriminators."""

from typing import Any, Dict, Mapping, Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmrazor.registry import OPTIM_WRAPPER_CONSTRUCTORS

from ...errors import ConfigError
from ...utils.model_wrappers import unwrap_model
from ...utils.paramwise_settings import check_custom_keys


def at_names(parts: Dict[str, nn.Module]) -> nn.Module:
    """A module holding each of ``parts`` at its dotted name, so that an
    optimizer built on it names their parameters as the algorithm does
    (``adversary.pairs.feat0.connector.*``)."""
    root = nn.Module()
    for dotted, part in parts.items():
        node = root
        *parents, leaf = dotted.split('.')
        for name in parents:
            if not hasattr(node, name):
                node.add_module(name, nn.Module())
            node = getattr(node, name)
        node.add_module(leaf, part)
    return root


ENTRIES = ('architecture', 'adversary')
OPTIONAL_ENTRIES = ('teacher',)


def check_entries(
    optim_wrapper_cfg: Mapping[str, Any], paramwise_cfg: Optional[dict] = None
) -> None:
    """Refuse an ``optim_wrapper`` (less its ``constructor``) that
    :class:`SAMKDOptimWrapperConstructor` cannot build as meant.

    The config checks run this before any run trains: ``compare.py
    --cfg-options optim_wrapper.optimizer.lr=0.1`` stopped only at the
    SAMKD run's build, after its teachers had trained.
    """
    keys = set(optim_wrapper_cfg)
    stray = sorted(keys - {*ENTRIES, *OPTIONAL_ENTRIES})
    if stray:
        raise ConfigError(
            f'optim_wrapper.{stray[0]} sits beside the optimizer entries of '
            f'SAMKD-style algorithms {ENTRIES + OPTIONAL_ENTRIES}, where no '
            f'optimizer reads it. Set it in the entry it is for '
            f'(optim_wrapper.architecture.{stray[0]}, optim_wrapper.'
            f'adversary.{stray[0]}).'
        )
    missing = [key for key in ENTRIES if key not in keys]
    if missing:
        raise ConfigError(
            f'SAMKD needs optim_wrapper entries {ENTRIES} (and optionally '
            f'{OPTIONAL_ENTRIES}), got {sorted(keys)}: add optim_wrapper.'
            f'{missing[0]}=dict(optimizer=dict(...)).'
        )
    if paramwise_cfg:
        raise ConfigError(
            'optim_wrapper.paramwise_cfg sits beside no optimizer of '
            "SAMKD's: give each entry its own (optim_wrapper."
            'architecture.paramwise_cfg, ...)'
        )
    counts = optim_wrapper_cfg['adversary'].get('accumulative_counts', 1)
    if counts != 1:
        # before: rc 0, each discriminator step on 1/counts of the
        # last batch's gradient
        raise ConfigError(
            f'optim_wrapper.adversary.accumulative_counts={counts}: the '
            'discriminators step on every batch and cannot accumulate '
            "(each update first clears what the student's step left in "
            'their gradients, so they would step on 1/'
            f"{counts} of one batch's gradient). Leave it at 1; "
            'optim_wrapper.architecture.accumulative_counts accumulates '
            'the student side.'
        )


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SAMKDOptimWrapperConstructor:
    """Build ``OptimWrapperDict(architecture=..., adversary=...)``.

    ``architecture`` optimises the student and the adversary's connectors
    (they map student features, so they learn with the student);
    ``adversary`` optimises the discriminators. The teacher is in neither;
    an optional ``teacher`` entry optimises it (MS-MGANs' mutual term).
    An entry's ``paramwise_cfg`` names parameters as the algorithm does
    (``architecture.backbone.*``, ``adversary.pairs.<pair>.connector.*``,
    ``adversary.pairs.<pair>.discriminator.*``, ``teacher.*``), and each
    of its custom keys must be in one of its entry's names. Only the
    student side accumulates gradients (``accumulative_counts``).

    Args:
        optim_wrapper_cfg (dict): ``dict(architecture=dict(optimizer=...),
            adversary=dict(optimizer=...))``, each an optim wrapper config.
        paramwise_cfg (dict, optional): Refused: no optimizer would read
            it. Give each entry its own.
    """

    def __init__(
        self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None
    ) -> None:
        check_entries(optim_wrapper_cfg, paramwise_cfg)
        self.constructors = {}
        self.paramwise = {}
        for key, cfg in optim_wrapper_cfg.items():
            cfg = dict(cfg)
            self.paramwise[key] = cfg.pop('paramwise_cfg', None)
            self.constructors[key] = DefaultOptimWrapperConstructor(
                cfg, self.paramwise[key]
            )

    def __call__(self, model):
        algorithm = unwrap_model(model)
        pairs = unwrap_model(algorithm.adversary).pairs.items()
        parts = dict(
            architecture={
                'architecture': unwrap_model(algorithm.architecture),
                **{
                    f'adversary.pairs.{name}.connector': pair.connector
                    for name, pair in pairs
                    if pair.connector is not None
                },
            },
            adversary={
                f'adversary.pairs.{name}.discriminator': pair.discriminator
                for name, pair in pairs
            },
        )
        if 'teacher' in self.constructors:  # MS-MGANs' mutual fine-tuning
            parts['teacher'] = {'teacher': unwrap_model(algorithm.teacher)}
        wrappers = {}
        for key, named in parts.items():
            module = at_names(named)
            check_custom_keys(
                module,
                self.paramwise[key],
                f'optim_wrapper.{key}.paramwise_cfg',
            )
            wrappers[key] = self.constructors[key](module)
        return OptimWrapperDict(**wrappers)
