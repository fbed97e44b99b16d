"""Distillation losses in fp32 under mixed precision."""

from typing import Any, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...models.utils import at_least_fp32
from ...utils.model_wrappers import unwrap_model


def in_fp32(value: Any) -> Any:
    """``value`` with every fp16 or bf16 tensor in it as fp32."""
    if torch.is_tensor(value):
        return at_least_fp32(value)
    if isinstance(value, (list, tuple)):
        return type(value)(in_fp32(v) for v in value)
    if isinstance(value, dict):
        return {k: in_fp32(v) for k, v in value.items()}
    return value


def inputs_in_fp32(
    module: nn.Module, args: tuple, kwargs: dict
) -> Tuple[tuple, dict]:
    return in_fp32(args), in_fp32(kwargs)


@HOOKS.register_module()
class FP32LossesHook(Hook):
    """Hand every distillation loss (each distiller's ``distill_losses``)
    its inputs in fp32.

    Under autocast the logits come out of the last linear layer in
    fp16/bf16. CUDA's autocast computes softmax and KL in fp32 anyway;
    CPU's computes softmax in the input's dtype, so MMRazor's
    ``KLDivergence`` would take a softmax at temperature 4 with three
    significant digits. With fp32 inputs every op of a KL loss runs in
    fp32 on both. A no-op in an fp32 run; ``tools/train.py --amp`` adds it.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner: Runner) -> None:
        for module in unwrap_model(runner.model).modules():
            losses = getattr(module, 'distill_losses', None)
            if isinstance(losses, nn.ModuleDict):
                for loss in losses.values():
                    loss.register_forward_pre_hook(
                        inputs_in_fp32, with_kwargs=True
                    )
