"""Losses that must not compute in half precision."""

import torch
from torch import Tensor

HALF_PRECISIONS = (torch.float16, torch.bfloat16)


def at_least_fp32(tensor: Tensor) -> Tensor:
    """``tensor`` in fp32 if it is in fp16 or bf16 (mixed precision's
    activations), else as it is: fp32 and fp64 keep their precision."""
    return tensor.float() if tensor.dtype in HALF_PRECISIONS else tensor
