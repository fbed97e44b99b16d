"""What a training step does with a NaN or infinite loss.

One policy for every algorithm: :class:`NonFiniteGuardHook` applies it to
any model's optimizer steps, and :class:`SAMKD` to each of its losses.
``'raise'`` stops the run with a line naming the loss, the iteration and
the position as the log prints it (``Epoch(train) [2][15/79]``);
``'skip'`` drops that update, logs a warning and goes on.
"""

import math
from typing import Any, Dict, Iterable, Mapping, Tuple

import torch
from mmengine import dist
from mmengine.logging import MessageHub, print_log
from mmengine.optim import OptimWrapper

from ..errors import ConfigError, NonFiniteLossError

NONFINITE_POLICIES = ('raise', 'skip')
POSITION_KEY = 'train_position'  # MessageHub info set by the guard hook


def check_policy(policy: str, name: str = 'nonfinite') -> None:
    if policy not in NONFINITE_POLICIES:
        raise ConfigError(
            f'{name} must be one of {NONFINITE_POLICIES}, got {policy!r}'
        )


def train_position() -> str:
    """Where training is, as the log writes it, or the global iteration."""
    hub = MessageHub.get_current_instance()
    position = hub.get_info(POSITION_KEY)
    if position:
        return position
    return f'iteration {hub.get_info("iter", "unknown")}'


def read_checked(values: Mapping[str, Any]) -> Tuple[Dict[str, float], bool]:
    """``({name: float}, finite)``: ``values`` (tensors or numbers) read
    from the device in one copy, and whether all of them are finite on
    every process.

    DDP ranks must agree before ``backward`` (all step or all skip), so
    under DDP a finite flag is all-reduced: on the device, before the read,
    so that it comes back in the same copy. A ``float()`` per value, or a
    flag read apart, would each wait for the device again.
    """
    tensors = {k: v for k, v in values.items() if torch.is_tensor(v)}
    numbers = {k: float(v) for k, v in values.items() if k not in tensors}
    numbers_finite = all(math.isfinite(v) for v in numbers.values())
    if tensors:
        stacked = torch.stack(
            [v.detach().float().reshape(()) for v in tensors.values()]
        )
        flag = torch.isfinite(stacked).all().float().reshape(1)
        flag = flag * float(numbers_finite)
    else:
        stacked = torch.zeros(0)
        flag = torch.tensor([float(numbers_finite)])
    if dist.get_world_size() > 1:
        # min over ranks; mmengine moves it to the backend's device and back
        dist.all_reduce(flag, op='min')
    *read, finite = torch.cat([stacked, flag]).tolist()
    read = dict(zip(tensors, read))
    floats = {k: read[k] if k in read else numbers[k] for k in values}
    return floats, finite == 1.0


def on_nonfinite(values: Mapping[str, float], policy: str, fix: str) -> None:
    """Apply ``policy`` to ``values`` (``{name: float}``, some not finite).

    Raises :class:`NonFiniteLossError` for ``'raise'``; logs a warning for
    ``'skip'``. ``fix`` ends the message: what the user can change.
    """
    check_policy(policy)
    bad = {k: v for k, v in values.items() if not math.isfinite(float(v))}
    shown = bad or values  # another rank's loss was the bad one
    message = f'non-finite loss at {train_position()}: ' + ', '.join(
        f'{k}={float(v)}' for k, v in sorted(shown.items())
    )
    if policy == 'raise':
        raise NonFiniteLossError(f'{message}. {fix}')
    print_log(message + '; update skipped', logger='current', level=30)


def skip_update(wrapper: OptimWrapper, losses: Iterable[Any]) -> None:
    """Drop an update but keep DDP's forward/backward pairing intact."""
    zero = sum(
        v.nan_to_num(0.0, 0.0, 0.0).sum() * 0
        for v in losses
        if torch.is_tensor(v) and v.requires_grad
    )
    if torch.is_tensor(zero):
        zero.backward()
    wrapper.zero_grad()
