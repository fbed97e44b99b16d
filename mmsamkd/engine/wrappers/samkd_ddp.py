"""DDP for SAMKD: each part of the algorithm wrapped on its own terms."""

import torch.nn as nn
from mmengine.model import (
    MMDistributedDataParallel,
    MMSeparateDistributedDataParallel,
)
from mmrazor.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class SAMKDDistributedDataParallel(MMSeparateDistributedDataParallel):
    """MMSeparateDistributedDataParallel with SAMKD's unused-parameter rules.

    SAMKD's ``train_step`` runs two optimizers, so each child of the
    algorithm is wrapped separately and ``train_step`` is delegated to it.
    The student's distillation and generator losses are computed outside
    its forward (from recorded features), so DDP must not search the
    forward's output for unused parameters (it would mark the branches
    unused, then receive their gradients): every student parameter gets a
    gradient each step, and the student is wrapped with
    ``find_unused_parameters=False``. The adversary legitimately leaves
    parameters unused (inactive pairs; connectors in the discriminator
    step) and is wrapped with ``find_unused_parameters=True``.

    Args:
        module (nn.Module): The :class:`SAMKD` algorithm.
        broadcast_buffers (bool): As for DDP. Defaults to False.
        **kwargs: Other DDP arguments (``device_ids`` ...).
    """

    def __init__(
        self, module: nn.Module, broadcast_buffers: bool = False, **kwargs
    ) -> None:
        kwargs.pop('find_unused_parameters', None)
        super().__init__(
            module,
            broadcast_buffers=broadcast_buffers,
            find_unused_parameters=False,
            **kwargs,
        )
        adversary = module._modules['adversary']
        if isinstance(adversary, MMDistributedDataParallel):
            module._modules['adversary'] = MMDistributedDataParallel(
                module=adversary.module,
                broadcast_buffers=broadcast_buffers,
                find_unused_parameters=True,
                **kwargs,
            )
