"""Optimizer, loss-weight and schedule settings that would train nothing,
train the wrong way or never validate.

Each of these either ran to rc 0 with an untrained, misdirected or
unselected model (``optim_wrapper.optimizer.lr=0``: every step leaves the
weights where they started, and the run reports chance accuracy as its
result; ``loss_kd.loss_weight=-1``: the student is pushed away from its
teacher; ``train_cfg.val_begin`` after the last epoch: no validation, so
no best checkpoint and nothing for compare.py to select on) or stopped with a
traceback from inside torch or mmengine (``max_epochs=0``, a negative
momentum). :func:`check_training_settings` refuses them before the
Runner is built, in one line naming the key.
"""

from numbers import Number
from typing import Any, Iterator, Tuple

from mmengine.config import Config

from ..errors import ConfigError


def _optimizers(node: Any, prefix: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, optimizer dict)`` of every optimizer that
    ``optim_wrapper`` builds: one, or one per part of a model (SAMKD's
    student and adversary, MS-MGANs' generator and discriminators)."""
    if not hasattr(node, 'get'):
        return
    optimizer = node.get('optimizer')
    if hasattr(optimizer, 'get'):
        yield f'{prefix}.optimizer', optimizer
    for key, child in node.items():
        if key != 'optimizer' and hasattr(child, 'get'):
            yield from _optimizers(child, f'{prefix}.{key}')


def _number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def check_optimizers(cfg: Config) -> None:
    """Each optimizer's ``lr`` is positive and its ``momentum`` and
    ``weight_decay`` are not negative."""
    for path, optimizer in _optimizers(
        cfg.get('optim_wrapper'), 'optim_wrapper'
    ):
        lr = optimizer.get('lr')
        if _number(lr) and lr <= 0:
            raise ConfigError(
                f'{path}.lr={lr}: a step of that size '
                + (
                    'leaves every weight where it started'
                    if lr == 0
                    else 'climbs the loss instead of descending it'
                )
                + ', so the run would end with a model that learnt nothing '
                'and report its accuracy. Set a positive learning rate (to '
                'freeze some parameters, give them paramwise_cfg '
                'lr_mult=0).'
            )
        for key in ('momentum', 'weight_decay'):
            value = optimizer.get(key)
            if _number(value) and value < 0:
                raise ConfigError(
                    f'{path}.{key}={value} is negative. Set it to 0 or more.'
                )


def _negative_weights(node: Any, prefix: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` of each negative number under a key named
    ``*weight`` or ``*weights`` (``loss_weight``, a pair's ``match_weight``,
    SAMKD's stage ``weights``)."""
    items = node.items() if hasattr(node, 'items') else ()
    if isinstance(node, (list, tuple)):
        items = enumerate(node)
    for key, child in items:
        path = f'{prefix}.{key}'
        if str(key).endswith(('weight', 'weights')):
            for where, value in _numbers(child, path):
                if value < 0:
                    yield where, value
        else:
            yield from _negative_weights(child, path)


def _numbers(node: Any, prefix: str) -> Iterator[Tuple[str, Any]]:
    if _number(node):
        yield prefix, node
    items = node.items() if hasattr(node, 'items') else ()
    if isinstance(node, (list, tuple)):
        items = enumerate(node)
    for key, child in items:
        yield from _numbers(child, f'{prefix}.{key}')


def check_loss_weights(cfg: Config) -> None:
    """No loss of the model, or of a training stage, is weighted below
    zero: the run would climb that loss, away from the teacher, and exit
    0."""
    # SAMKD's stage weights live in its AdversarialStageHook
    for key in ('model', 'custom_hooks'):
        for path, value in _negative_weights(cfg.get(key), key):
            raise ConfigError(
                f'{path}={value}: a negative weight makes the run climb '
                'that loss (away from the teacher, for a distillation '
                'loss) instead of descending it. Set 0 to switch it off, '
                'or a positive weight.'
            )


def check_schedule(cfg: Config) -> None:
    """The run trains at least one epoch or iteration, and validates when
    it has a validation loop."""
    train_cfg = cfg.get('train_cfg') or {}
    if not hasattr(train_cfg, 'get'):
        return
    unit = 'epoch' if 'max_epochs' in train_cfg else 'iter'
    last = train_cfg.get(f'max_{unit}s')
    if _number(last) and last < 1:
        raise ConfigError(
            f'train_cfg.max_{unit}s={last}: the run would train nothing. '
            f'Set at least 1 (to evaluate a checkpoint, use tools/test.py).'
        )
    if cfg.get('val_dataloader') is None or cfg.get('val_cfg') is None:
        return
    interval = train_cfg.get('val_interval', 1)
    if _number(interval) and interval < 1:
        raise ConfigError(
            f'train_cfg.val_interval={interval}: validation every '
            f'{interval} {unit}s is not a schedule. Set 1 or more (the last '
            f'{unit} is always validated).'
        )
    begin = train_cfg.get('val_begin', 1)
    if _number(begin) and _number(last) and begin > last:
        raise ConfigError(
            f'train_cfg.val_begin={begin} is after the last {unit} '
            f'({last}): the run would never validate, so it would keep no '
            'best checkpoint and give compare.py nothing to select on. Set '
            f'val_begin to {last} or less.'
        )


def check_training_settings(cfg: Config) -> None:
    check_optimizers(cfg)
    check_loss_weights(cfg)
    check_schedule(cfg)
