"""Mixed precision on every device ``--amp`` may meet.

- CUDA (and MMEngine's other accelerators): MMEngine's
  :class:`~mmengine.optim.AmpOptimWrapper`, fp16 autocast with a dynamic
  loss scale; ``dtype='bfloat16'`` where the GPU has it, then unscaled
  (bf16 has fp32's exponent range, so gradients do not underflow).
- CPU: bf16 autocast, unscaled, only where the processor computes bf16
  natively (AVX512-BF16 or AMX); emulated bf16 is slower than fp32, so
  elsewhere the run stops and says so. MMEngine's wrapper refuses a CPU.

One wrapper per optimizer: SAMKD's and MS-MGANs' ``OptimWrapperDict``
entries each get their own (and their own loss scale).
"""

from typing import Any, Optional, Union

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmrazor.registry import OPTIM_WRAPPERS

from ...errors import ConfigError
from ...utils.registered_types import type_name


def cpu_computes_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX-BF16)."""
    for probe in ('_is_avx512_bf16_supported', '_is_amx_tile_supported'):
        if getattr(torch.cpu, probe, lambda: False)():
            return True
    try:  # torch < 2.3 has no probes: read the kernel's flags
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            flags = f.read().split()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


def check_cpu_computes_bf16() -> None:
    if not cpu_computes_bf16():
        raise ConfigError(
            'mixed precision (--amp) on a CPU needs bf16 instructions '
            '(AVX512-BF16 or AMX), which this one lacks: emulated bf16 is '
            'slower than fp32. Drop --amp.'
        )


class NoLossScaling:
    """The part of a GradScaler a wrapper uses, scaling by 1: for bf16."""

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        return loss

    def unscale_(self, optimizer: torch.optim.Optimizer) -> None:
        pass

    def step(self, optimizer: torch.optim.Optimizer, **kwargs) -> Any:
        return optimizer.step(**kwargs)

    def update(self, new_scale: Optional[float] = None) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """:class:`~mmengine.optim.AmpOptimWrapper` that also runs on a CPU
    (see the module docstring).

    Args:
        loss_scale (str | float | dict): The GPU's fp16 loss scale, as
            MMEngine's wrapper takes it. Unused in bf16.
        dtype (str, optional): ``'float16'`` (the GPU default) or
            ``'bfloat16'`` (the CPU's only choice).
        **kwargs: :class:`~mmengine.optim.OptimWrapper`'s arguments.
    """

    def __init__(
        self,
        loss_scale: Union[str, float, dict] = 'dynamic',
        dtype: Optional[Union[str, torch.dtype]] = None,
        **kwargs,
    ) -> None:
        if get_device() != 'cpu':
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            if self.cast_dtype == torch.bfloat16:
                self.loss_scaler = NoLossScaling()
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ConfigError(
                f'mixed precision on a CPU computes in bfloat16, not '
                f'{dtype}; drop dtype from the optim wrapper'
            )
        check_cpu_computes_bf16()
        OptimWrapper.__init__(self, **kwargs)  # MMEngine's asserts a GPU
        self._scale_update_param = None
        self.loss_scaler = NoLossScaling()
        self.cast_dtype = torch.bfloat16


PLAIN_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper')


def use_mixed_precision(cfg: Config) -> None:
    """Make every optim wrapper of ``cfg`` a :class:`MixedPrecision
    OptimWrapper` (``tools/train.py --amp``): the one wrapper of most
    methods, each entry of a wrapper dict (SAMKD, MS-MGANs); and add
    ``FP32LossesHook``, so that distillation losses stay in fp32."""
    if get_device() == 'cpu':
        check_cpu_computes_bf16()
    wrapper = cfg.optim_wrapper
    if 'optimizer' in wrapper:
        entries = [wrapper]
    else:  # one wrapper per optimizer, built by a constructor
        entries = [v for v in wrapper.values() if isinstance(v, dict)]
    for entry in entries:
        kind = type_name(entry, 'OptimWrapper')
        if kind not in PLAIN_WRAPPERS + ('MixedPrecisionOptimWrapper',):
            raise ConfigError(
                f'--amp turns OptimWrapper into mixed precision, not '
                f'{entry["type"]}; drop --amp, or configure that wrapper '
                'for mixed precision yourself'
            )
        entry['type'] = 'mmrazor.MixedPrecisionOptimWrapper'
    hooks = list(cfg.get('custom_hooks') or [])
    if not any('FP32LossesHook' in str(h.get('type')) for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='mmrazor.FP32LossesHook')]
