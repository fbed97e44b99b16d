"""The model inside a DDP (or other MMEngine) wrapper."""

import torch.nn as nn
from mmengine.model import is_model_wrapper

from ..errors import ConfigError


def unwrap_model(module: nn.Module) -> nn.Module:
    """``module.module`` for a registered model wrapper, else ``module``.

    SAMKD's wrapper wraps each child of the algorithm on its own, so hooks,
    the optimizer constructor and the algorithms' extra passes reach the
    bare classifier through this.
    """
    return module.module if is_model_wrapper(module) else module


def driven_algorithm(
    model: nn.Module, hook: str, method: str, algorithm: str
) -> nn.Module:
    """The bare ``model`` that ``hook`` drives through its ``method``;
    one line naming ``algorithm`` (the models that have it) otherwise."""
    model = unwrap_model(model)
    if not hasattr(model, method):
        # before: an AttributeError traceback when training began
        raise ConfigError(
            f'{hook} in custom_hooks drives {algorithm}, and this run '
            f'trains a {type(model).__name__}. Remove the hook, or train '
            f'a {algorithm} config.'
        )
    return model
