"""The model inside a DDP (or other MMEngine) wrapper."""

import torch.nn as nn
from mmengine.model import is_model_wrapper


def unwrap_model(module: nn.Module) -> nn.Module:
    """``module.module`` for a registered model wrapper, else ``module``.

    SAMKD's wrapper wraps each child of the algorithm on its own, so hooks,
    the optimizer constructor and the algorithms' extra passes reach the
    bare classifier through this.
    """
    return module.module if is_model_wrapper(module) else module
