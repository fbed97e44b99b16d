"""Two optimizers for SAMKD: the student side and the discriminators."""

from typing import Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmrazor.registry import OPTIM_WRAPPER_CONSTRUCTORS

from ...errors import ConfigError
from ...utils.model_wrappers import unwrap_model


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SAMKDOptimWrapperConstructor:
    """Build ``OptimWrapperDict(architecture=..., adversary=...)``.

    ``architecture`` optimises the student and the adversary's connectors
    (they map student features, so they learn with the student);
    ``adversary`` optimises the discriminators. The teacher is in neither;
    an optional ``teacher`` entry optimises it (MS-MGANs' mutual term).

    Args:
        optim_wrapper_cfg (dict): ``dict(architecture=dict(optimizer=...),
            adversary=dict(optimizer=...))``, each an optim wrapper config.
        paramwise_cfg (dict, optional): Unused; give each entry its own.
    """

    KEYS = ('architecture', 'adversary')
    OPTIONAL_KEYS = ('teacher',)

    def __init__(
        self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None
    ) -> None:
        keys = set(optim_wrapper_cfg)
        if not set(self.KEYS) <= keys <= {*self.KEYS, *self.OPTIONAL_KEYS}:
            raise ConfigError(
                f'SAMKD needs optim_wrapper entries {self.KEYS} (and '
                f'optionally {self.OPTIONAL_KEYS}), got '
                f'{sorted(optim_wrapper_cfg)}'
            )
        self.constructors = {}
        for key, cfg in optim_wrapper_cfg.items():
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            self.constructors[key] = DefaultOptimWrapperConstructor(
                cfg, paramwise
            )

    def __call__(self, model):
        algorithm = unwrap_model(model)
        adversary = unwrap_model(algorithm.adversary)
        generator_side = nn.ModuleList(
            [unwrap_model(algorithm.architecture), adversary.connectors]
        )
        wrappers = dict(
            architecture=self.constructors['architecture'](generator_side),
            adversary=self.constructors['adversary'](adversary.discriminators),
        )
        if 'teacher' in self.constructors:  # MS-MGANs' mutual fine-tuning
            wrappers['teacher'] = self.constructors['teacher'](
                unwrap_model(algorithm.teacher)
            )
        return OptimWrapperDict(**wrappers)
