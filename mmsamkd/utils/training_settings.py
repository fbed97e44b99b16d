"""Optimizer, loss-weight and schedule settings that would train nothing,
train the wrong way or never validate.

Each of these either ran to rc 0 with an untrained, misdirected or
unselected model (``optim_wrapper.optimizer.lr=0``: every step leaves the
weights where they started, and the run reports chance accuracy as its
result; ``loss_kd.loss_weight=-1``: the student is pushed away from its
teacher; a negative softmax temperature: distributions turned over;
``train_cfg.val_begin`` after the last epoch: no validation, so
no best checkpoint and nothing for compare.py to select on) or stopped
with a traceback from inside torch or mmengine (``max_epochs=0``, a
negative momentum, ``batch_size=0``).
:func:`check_training_settings` refuses them before the Runner is built,
in one line naming the key. A schedule cut short of its MultiStep
milestones is a choice a quick run may make on purpose: it is named in
a warning (:func:`warn_of_late_milestones`) and in compare.py's table,
not refused.
"""

import logging
import os.path as osp
import re
from numbers import Integral, Number
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.dist import get_world_size
from mmengine.logging import print_log

from ..errors import ConfigError
from .evaluation_settings import wrapped_datasets
from .registered_types import type_name
from .run_results import counts_epochs, enabled_auto_scale_lr, step_unit


def _wrappers(node: Any, prefix: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, wrapper dict)`` of every optimizer wrapper that
    ``optim_wrapper`` builds: one, or one per part of a model (SAMKD's
    student and adversary, MS-MGANs' generator and discriminators)."""
    if not hasattr(node, 'get'):
        return
    if hasattr(node.get('optimizer'), 'get'):
        yield prefix, node
    for key, child in node.items():
        if key != 'optimizer' and hasattr(child, 'get'):
            yield from _wrappers(child, f'{prefix}.{key}')


def _number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def _at_least(
    path: str, value: Any, minimum: float, tail: str, inclusive: bool = True
) -> None:
    """Refuse ``path=value`` when it is a number below ``minimum`` (or
    equal to it, unless ``inclusive``); ``tail`` follows it in the
    message."""
    if _number(value) and (
        value < minimum or (value == minimum and not inclusive)
    ):
        raise ConfigError(f'{path}={value}{tail}')


def _whole(path: str, value: Any) -> None:
    """Refuse ``path=value`` when it is a number with a fraction or a
    float (``64.0`` from a config's arithmetic): a count."""
    if _number(value) and not isinstance(value, Integral):
        raise ConfigError(
            f'{path}={value}: a count, so a whole number. Set '
            + (f'{int(value)}.' if value == int(value) else 'one.')
        )


def check_optimizers(cfg: Config) -> None:
    """Each optimizer's ``lr`` is positive and its ``momentum`` and
    ``weight_decay`` are not negative; each wrapper clips gradients to
    more than zero and accumulates at least one step."""
    for path, wrapper in _wrappers(cfg.get('optim_wrapper'), 'optim_wrapper'):
        optimizer = wrapper['optimizer']
        lr = optimizer.get('lr')
        if _number(lr) and lr <= 0:
            raise ConfigError(
                f'{path}.optimizer.lr={lr}: a step of that size '
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
            _at_least(
                f'{path}.optimizer.{key}',
                optimizer.get(key),
                0,
                ' is negative. Set it to 0 or more.',
            )
        clip = wrapper.get('clip_grad') or {}
        for key in ('max_norm', 'clip_value'):
            _at_least(
                f'{path}.clip_grad.{key}',
                clip.get(key) if hasattr(clip, 'get') else None,
                0,
                ': every gradient would be clipped to zero, so the run '
                'would learn nothing and report its accuracy. Set a '
                'positive bound, or clip_grad=None.',
                inclusive=False,
            )
        _at_least(
            f'{path}.accumulative_counts',
            wrapper.get('accumulative_counts'),
            1,
            ': a step accumulates the gradients of at least one batch. '
            'Set 1 or more.',
        )
        kind = str(wrapper.get('type', '')).rpartition('.')[2]
        if kind == 'AmpOptimWrapper' and get_device() == 'cpu':
            # before: mmengine's AssertionError traceback at the build
            raise ConfigError(
                f"{path}.type='AmpOptimWrapper' (MMEngine's fp16) runs on "
                'a GPU, and this machine has none. Leave the type as it '
                'was and pass --amp to tools/train.py: it trains in bf16 '
                'on a CPU that computes it.'
            )


def _children(node: Any) -> Iterator[Tuple[Any, Any]]:
    if isinstance(node, (list, tuple)):
        return enumerate(node)
    return iter(node.items()) if hasattr(node, 'items') else iter(())


def _numbers_under(
    node: Any, prefix: str, names: Callable[[str], bool]
) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` of each number under a key ``names``
    accepts, at any depth (a list of weights under ``weights`` too)."""
    for key, child in _children(node):
        path = f'{prefix}.{key}'
        if names(str(key)):
            yield from _numbers(child, path)
        else:
            yield from _numbers_under(child, path, names)


def _is_weight(key: str) -> bool:
    # loss_weight, a pair's match_weight, SAMKD's stage weights
    return key.endswith(('weight', 'weights'))


def _is_temperature(key: str) -> bool:
    # KLDivergence's and SSKD's tau, a contrastive head's temperature
    return key in ('tau', 'temperature')


def _numbers(node: Any, prefix: str) -> Iterator[Tuple[str, Any]]:
    if _number(node):
        yield prefix, node
    for key, child in _children(node):
        yield from _numbers(child, f'{prefix}.{key}')


def check_loss_weights(cfg: Config) -> None:
    """No loss of the model, or of a training stage, is weighted below
    zero: the run would climb that loss, away from the teacher, and exit
    0."""
    # SAMKD's stage weights live in its AdversarialStageHook
    for key in ('model', 'custom_hooks'):
        for path, value in _numbers_under(cfg.get(key), key, _is_weight):
            if value < 0:
                raise ConfigError(
                    f'{path}={value}: a negative weight makes the run climb '
                    'that loss (away from the teacher, for a distillation '
                    'loss) instead of descending it. Set 0 to switch it '
                    'off, or a positive weight.'
                )


def check_temperatures(cfg: Config) -> None:
    """Every softmax temperature of the model is above zero: at 0 the
    first loss was non-finite and the run stopped blaming the learning
    rate; below 0 the run trained to rc 0 on distributions turned over
    (the classes the teacher finds least likely weighed most)."""
    for path, value in _numbers_under(
        cfg.get('model'), 'model', _is_temperature
    ):
        if value <= 0:
            raise ConfigError(
                f'{path}={value}: a softmax temperature divides the '
                'logits, so it must be above 0 (0 divides by zero; a '
                'negative one turns the distribution over). Set a '
                'positive one (4 for KD, 3 for HSAKD, as the papers do).'
            )


def check_schedule(cfg: Config) -> None:
    """The run trains at least one epoch or iteration, and validates when
    it has a validation loop."""
    train_cfg = cfg.get('train_cfg') or {}
    if not hasattr(train_cfg, 'get'):
        return
    if 'type' in train_cfg and 'by_epoch' in train_cfg:
        # before: mmengine's RuntimeError traceback at the build
        raise ConfigError(
            f'train_cfg holds both type={train_cfg["type"]!r} and '
            f'by_epoch={train_cfg["by_epoch"]!r}; mmengine takes one of the '
            'two. --cfg-options cannot remove by_epoch: write a config that '
            'inherits this one and sets train_cfg=dict(_delete_=True, '
            "type='IterBasedTrainLoop', max_iters=..., val_interval=...)."
        )
    unit = step_unit(cfg)
    last = train_cfg.get(f'max_{unit}s')
    if _number(last) and (last < 1 or last != int(last)):
        raise ConfigError(
            f'train_cfg.max_{unit}s={last}: the run would train '
            + ('nothing' if last < 1 else f'a part of an {unit}')
            + '. Set a whole number of at least 1 (to evaluate a '
            'checkpoint, use tools/test.py).'
        )
    sampler = (cfg.get('train_dataloader') or {}).get('sampler') or {}
    kind = str(sampler.get('type', '')) if hasattr(sampler, 'get') else ''
    if unit == 'epoch' and kind.split('.')[-1] == 'InfiniteSampler':
        # before: the first epoch ran until killed, its log silent
        raise ConfigError(
            'train_dataloader.sampler is an InfiniteSampler, whose epoch '
            'never ends, under a schedule of epochs. Use '
            "type='DefaultSampler', or train_cfg=dict("
            "type='IterBasedTrainLoop', max_iters=...)."
        )
    logger = (cfg.get('default_hooks') or {}).get('logger') or {}
    _at_least(
        'default_hooks.logger.interval',
        logger.get('interval') if hasattr(logger, 'get') else None,
        1,
        ': the logger prints every that many iterations. Set 1 or more.',
    )
    for path, value in _numbers(cfg.get('param_scheduler'), 'param_scheduler'):
        if path.endswith('.gamma') and value <= 0:
            raise ConfigError(
                f'{path}={value}: the learning rate would drop to '
                + ('0' if value == 0 else 'a negative value')
                + ' at the first decay, and the run train no further. Set '
                'a factor above 0.'
            )
    if cfg.get('val_dataloader') is None or cfg.get('val_cfg') is None:
        return
    interval = train_cfg.get('val_interval', 1)
    _at_least(
        'train_cfg.val_interval',
        interval,
        1,
        f': validation every {interval} {unit}s is not a schedule. Set 1 '
        f'or more (the last {unit} is always validated).',
    )
    begin = train_cfg.get('val_begin', 1)
    for key, value in (('val_interval', interval), ('val_begin', begin)):
        # before: val_interval=1.5 validated only where the count divides
        # by it evenly (every third epoch), rc 0
        if _number(value) and value != int(value):
            raise ConfigError(
                f'train_cfg.{key}={value}: MMEngine validates at whole '
                f'{unit} counts (one divisible by val_interval, from '
                f'val_begin on). Set a whole number.'
            )
    if _number(begin) and _number(last) and begin > last:
        raise ConfigError(
            f'train_cfg.val_begin={begin} is after the last {unit} '
            f'({last}): the run would never validate, so it would keep no '
            'best checkpoint and give compare.py nothing to select on. Set '
            f'val_begin to {last} or less.'
        )


# schedulers that follow PyTorch's periodic cosine: past T_max the value
# climbs back towards where it started
PERIODIC = (
    'CosineAnnealingLR',
    'CosineAnnealingMomentum',
    'CosineAnnealingParamScheduler',
)


def _schedulers(node: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """``(path, scheduler dict)``: one, a list of them, or a dict of those
    per optimizer wrapper (SAMKD's ``architecture`` and ``adversary``);
    paths as --cfg-options takes them (``param_scheduler.1``)."""
    if hasattr(node, 'get') and 'type' in node:
        yield path, node
        return
    for key, child in _children(node):
        yield from _schedulers(child, f'{path}.{key}')


def _run_length(
    cfg: Config, scheduler: Any
) -> Optional[Tuple[int, Optional[str]]]:
    """``(length, unit)``: the run's length in the steps ``scheduler``
    counts (``'epochs'`` or ``'iterations'``); unit None for iterations
    under an epoch loop, where only a lower bound is known (one an epoch,
    the length given in epochs); None where the length is not known."""
    train_cfg = cfg.get('train_cfg') or {}
    epochs, iters = train_cfg.get('max_epochs'), train_cfg.get('max_iters')
    by_epoch = scheduler.get('by_epoch', True)
    if by_epoch and _number(epochs):
        return epochs, 'epochs'
    if not by_epoch and _number(iters):
        return iters, 'iterations'
    if not by_epoch and _number(epochs):
        return epochs, None
    return None


def check_cosine_periods(
    cfg: Config, iterations: Optional[int] = None
) -> None:
    """A cosine schedule reaches its minimum no earlier than the run ends.

    mmengine's cosine schedulers follow PyTorch's periodic formula: past
    ``begin + T_max`` the learning rate climbs back towards its initial
    value. Before, ``train_cfg.max_epochs=24`` under ``T_max=12`` trained
    its last epochs at 0.049 of 0.05 and ended rc 0 with that model.

    ``iterations``: the run's length in iterations, once its loader is
    built (:class:`~mmsamkd.engine.runner.MmsamkdRunner`); before, a
    ``by_epoch=False`` cosine under an epoch loop is checked against one
    iteration an epoch only.
    """
    for path, scheduler in _schedulers(
        cfg.get('param_scheduler'), 'param_scheduler'
    ):
        if type_name(scheduler) not in PERIODIC:
            continue
        t_max = scheduler.get('T_max')
        run = _run_length(cfg, scheduler)
        if not t_max or run is None:  # T_max's default, end - begin, is fine
            continue
        length, unit = run
        if unit is None and iterations:
            length = iterations
        begin = scheduler.get('begin', 0)
        if min(scheduler.get('end', float('inf')), length) <= begin + t_max:
            continue
        if unit is None:
            # before the iteration count was known: 12 iterations of 4
            # per epoch under 12 epochs, rc 0, the cosine swinging 4 times
            have = (
                f'{length} iterations'
                if iterations
                else (f'{length} epochs have')
            )
            raise ConfigError(
                f'{path}: {scheduler["type"]} with by_epoch=False counts '
                f"T_max={t_max} in iterations, fewer than the run's "
                f'{have}: past T_max the cosine climbs back '
                'to its initial value, again and again. Set '
                f'{path}.convert_to_iter_based=True to count T_max in '
                'epochs (updated every iteration).'
            )
        raise ConfigError(
            f'{path}: {scheduler["type"]} reaches its minimum at '
            f'{begin + t_max} {unit} (begin {begin}, T_max={t_max}) but '
            f'the run lasts {length}: past T_max the cosine climbs back '
            "towards its initial value (mmengine follows PyTorch's "
            f'periodic formula). Set {path}.T_max={length - begin} to '
            f'anneal over the whole run, or {path}.end={begin + t_max} '
            'to hold the minimum.'
        )


STEPPED = ('MultiStepLR', 'MultiStepMomentum', 'MultiStepParamScheduler')


def late_milestones(cfg: Config) -> List[Tuple[str, Any, List[int], int, str]]:
    """``(path, type, milestones, length, unit)`` for each MultiStep
    schedule with milestones that the run ends before reaching: a
    240-epoch CIFAR config cut to ``max_epochs=100`` never drops its
    learning rate at 150, 180, 210 and trains to its end at the initial
    rate. A milestone past the scheduler's own ``end`` is the config's
    design, not a cut, and is left out."""
    found = []
    for path, scheduler in _schedulers(
        cfg.get('param_scheduler'), 'param_scheduler'
    ):
        run = _run_length(cfg, scheduler)
        if type_name(scheduler) not in STEPPED or run is None or not run[1]:
            continue
        length, unit = run
        begin = scheduler.get('begin', 0)
        end = scheduler.get('end', float('inf'))
        late = [
            milestone
            for milestone in scheduler.get('milestones') or ()
            if length <= begin + milestone < end
        ]
        if late:
            found.append((path, scheduler['type'], late, length, unit))
    return found


def _listed(values: Sequence[int]) -> str:
    return ', '.join(str(value) for value in values)


def warn_of_late_milestones(cfg: Config) -> None:
    """A warning in the run's log for each of :func:`late_milestones`."""
    for path, kind, late, length, unit in late_milestones(cfg):
        print_log(
            f'{path}: {kind} milestone{"s" * (len(late) > 1)} '
            f'{_listed(late)} lie{"s" * (len(late) == 1)} at or past the '
            f"run's {length} {unit}: its {_scheduled(kind)} is never "
            'changed there. Scale the milestones to the run to compare it '
            'with the full schedule.',
            logger='current',
            level=logging.WARNING,
        )


def recipe_batch_note(
    config: str, cfg: Config, processes: int
) -> Optional[str]:
    """Why a run of ``config`` steps otherwise than the recipe its name
    gives (``..._8xb16_cifar100.py``: 8 processes of 16 images, 128 a
    step, at its learning rates), or None. One GPU running an 8xb16
    config took steps of 16 at the rates tuned for 128, rc 0, with an
    accuracy that was not the recipe's."""
    found = re.search(r'_(\d+)xb(\d+)_', osp.basename(config))
    batch_size = (cfg.get('train_dataloader') or {}).get('batch_size')
    if not found or not isinstance(batch_size, int):
        return None
    launches, images = int(found.group(1)), int(found.group(2))
    if launches * images == processes * batch_size:
        return None
    if enabled_auto_scale_lr(cfg):
        return None
    plural = 'es' * (launches != 1)
    return (
        f'{osp.basename(config)} is a recipe for {launches} process{plural}'
        f' of {images} images ({launches * images} a step); this run '
        f'takes {processes} of {batch_size} ({processes * batch_size} a '
        "step) at the recipe's learning rates, so its accuracy is not the "
        f"recipe's. Launch {launches} process{plural} (tools/dist_train.sh "
        f'CONFIG {launches}), or pass --auto-scale-lr to scale the '
        'learning rates to its batch.'
    )


def warn_of_recipe_batch(config: str, cfg: Config, processes: int) -> None:
    """:func:`recipe_batch_note` as a warning in the run's log."""
    note = recipe_batch_note(config, cfg, processes)
    if note:
        print_log(note, logger='current', level=logging.WARNING)


def _scheduled(kind: str) -> str:
    return 'learning rate' if 'LR' in kind else 'scheduled value'


def late_milestones_note(cfg: Config) -> str:
    """For compare.py's schedule cell: ``'learning rate milestones 150,
    180, 210 not reached'`` (per optimizer wrapper where there are
    several: ``'adversary learning rate ...'``), or ``''``."""
    notes = []
    for path, kind, late, _, _ in late_milestones(cfg):
        owner = path.split('.')[1:2]
        owner = '' if not owner or owner[0].isdigit() else owner[0] + ' '
        notes.append(
            f'{owner}{_scheduled(kind)} milestones {_listed(late)} not reached'
        )
    return '; '.join(notes)


LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _check_sampler(loader: str, settings: Any) -> None:
    """MMEngine builds a loader's ``sampler`` (a ``KeyError`` traceback
    without one) and hands a None to torch's DataLoader, which then reads
    the images in order: a training run of ``sampler=None`` trained
    unshuffled, each process on every image, rc 0."""
    shuffle = loader == 'train_dataloader'
    fix = (
        f"Set {loader}.sampler=dict(type='DefaultSampler', shuffle={shuffle})."
    )
    if 'sampler' not in settings:
        raise ConfigError(
            f'{loader} has no sampler, which MMEngine builds the loader '
            f'from. {fix}'
        )
    if shuffle and settings['sampler'] is None:
        raise ConfigError(
            f'{loader}.sampler=None: torch would read the training images '
            'in their order, unshuffled, and each process would train on '
            f'all of them. {fix}'
        )


def check_loaders(cfg: Config, loaders: Sequence[str] = LOADERS) -> None:
    """Each of ``loaders`` takes at least one image a batch, no negative
    number of workers, and packs its samples for the model (torch's and
    MMPretrain's tracebacks, an epoch in for a validation loader)."""
    for loader in loaders:
        settings = cfg.get(loader) or {}
        if not hasattr(settings, 'get'):
            continue
        dataset = settings.get('dataset') or {}
        indices = dataset.get('indices') if hasattr(dataset, 'get') else None
        for key, value in (
            ('batch_size', settings.get('batch_size')),
            ('num_workers', settings.get('num_workers')),
            ('dataset.indices', indices),
        ):
            # before: torch's ValueError traceback (batch_size=64.0)
            _whole(f'{loader}.{key}', value)
        _at_least(
            f'{loader}.batch_size',
            settings.get('batch_size'),
            1,
            ': a batch holds at least one image. Set 1 or more.',
        )
        if _number(indices) and indices < 0:
            # MMEngine reads -N as the last N images; records say [:-N]
            raise ConfigError(
                f'{loader}.dataset.indices={indices}: MMEngine would take '
                f"the last {-indices} images, which the run's record and "
                'the comparison would not say. Set a count of 1 or more for '
                'the first images, a list of indices for others, or remove '
                'it for the whole split.'
            )
        _at_least(
            f'{loader}.dataset.indices',
            indices,
            1,
            ': the dataset would hold no image. Set 1 or more, or remove '
            'it for the whole split.',
        )
        _at_least(
            f'{loader}.num_workers',
            settings.get('num_workers'),
            0,
            ' is negative. Set 0 to load in the training process, or more.',
        )
        if cfg.get(loader.replace('dataloader', 'cfg')) is not None:
            _check_sampler(loader, settings)  # a loader its loop reads
        if not settings.get('num_workers'):
            # before: torch's ValueError traceback when the loop was built
            for key, off in (
                ('persistent_workers', False),
                ('prefetch_factor', None),
            ):
                if settings.get(key, off) not in (off, None):
                    raise ConfigError(
                        f'{loader}.{key}={settings[key]!r} applies to '
                        f'worker processes, and {loader}.num_workers is 0 '
                        '(the loader reads in the training process). Set '
                        f'num_workers above 0, or {key}={off}.'
                    )
        for each in wrapped_datasets(dataset):
            pipeline = each.get('pipeline')
            last = pipeline[-1] if pipeline else None
            last = type_name(last) if hasattr(last, 'get') else 'Pack'
            if not last.startswith('Pack'):
                raise ConfigError(
                    f'{loader}.dataset.pipeline ends with {last}, not '
                    "PackInputs: the model would get no 'inputs' and stop at "
                    'its first batch (a KeyError; in validation, an epoch '
                    "in). End it with dict(type='PackInputs')."
                )


def empty_training_loader_problem(dataloader: Any) -> Optional[str]:
    """Why a built training ``dataloader`` yields no batch, or None.

    With ``drop_last=True`` a loader of fewer images (on each process)
    than a batch has no iteration in an epoch: the run went on to
    validate and save its initial weights, rc 0 (an iteration loop
    stopped in a ``StopIteration`` traceback)."""
    try:
        if len(dataloader) > 0:
            return None
        images = len(
            getattr(dataloader, 'sampler', None) or dataloader.dataset
        )
    except TypeError:  # an iterable dataset: no length to tell
        return None
    if not images:
        return 'train_dataloader yields no batch: its dataset holds no image.'
    processes = get_world_size()
    each = f' on each of {processes} processes' if processes > 1 else ''
    return (
        f'train_dataloader yields no batch: {images} images{each} against '
        f'batch_size={dataloader.batch_size} with drop_last=True, so the '
        'run would train nothing and report its initial weights. Lower '
        'batch_size, or set train_dataloader.drop_last=False.'
    )


def check_seed(cfg: Config) -> None:
    """``randomness.seed`` is None or a seed numpy takes (before: its
    ``ValueError`` traceback)."""
    seed = (cfg.get('randomness') or {}).get('seed')
    if _number(seed) and not (0 <= seed < 2**32 and seed == int(seed)):
        raise ConfigError(
            f'randomness.seed={seed}: a seed is a whole number from 0 to '
            '2**32 - 1 (or None for a random one).'
        )


def check_views_preprocessor(cfg: Config) -> None:
    """A training pipeline that makes rotated views (``RotatedViews``: a
    ``(K, C, H, W)`` stack per image) is read by a data preprocessor that
    stacks them (before: MMPretrain's ``ClsDataPreprocessor`` passed the
    5-D batch on, and the first batch stopped in the network's first
    convolution, a traceback from inside torch)."""
    from mmengine.registry import MODELS

    from ..models.data_preprocessors import ViewsDataPreprocessor

    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') if hasattr(loader, 'get') else None
    if not any(
        type_name(step) == 'RotatedViews'
        for each in wrapped_datasets(dataset)
        for step in each.get('pipeline') or ()
        if hasattr(step, 'get')
    ):
        return
    model = cfg.get('model') or {}
    preprocessor = model.get('data_preprocessor') or cfg.get(
        'data_preprocessor'
    )
    kind = preprocessor.get('type') if hasattr(preprocessor, 'get') else None
    scope = model.get('_scope_', 'mmpretrain')
    with MODELS.switch_scope_and_registry(scope) as registry:
        cls = registry.get(kind) if isinstance(kind, str) else kind
    if isinstance(cls, type) and issubclass(cls, ViewsDataPreprocessor):
        return
    raise ConfigError(
        "train_dataloader's pipeline makes rotated views (RotatedViews, a "
        'stack of views per image), but model.data_preprocessor is '
        f'{kind or "not set"}, which passes the stacks on as they are: the '
        "first batch would stop in the network's first convolution. Set "
        "model.data_preprocessor.type='mmpretrain.ViewsDataPreprocessor', "
        'which lays the views out image-major.'
    )


def _optimizer_per_part(cfg: Config) -> bool:
    """Whether ``cfg``'s optimizers are built one per part (SAMKD's and
    MS-MGANs' constructor)."""
    wrapper = cfg.get('optim_wrapper')
    constructor = wrapper.get('constructor') if hasattr(wrapper, 'get') else ''
    return str(constructor).split('.')[-1] == 'SAMKDOptimWrapperConstructor'


def check_optimizer_entries(cfg: Config) -> None:
    """An ``optim_wrapper`` of one entry per part (SAMKD's and MS-MGANs'
    constructor) holds those entries and nothing beside them, checked
    before the build: ``compare.py`` runs this on every listed config
    before the first trains."""
    wrapper = cfg.get('optim_wrapper')
    if not _optimizer_per_part(cfg):
        return
    # utils is imported by the engine package: import it when needed
    from ..engine.optimizers.samkd_optim_constructor import check_entries

    entries = {
        key: value
        for key, value in wrapper.items()
        if key not in ('constructor', 'paramwise_cfg')
    }
    check_entries(entries, wrapper.get('paramwise_cfg'))


def check_trainable_networks(cfg: Config) -> None:
    """MMRazor's ``student_trainable`` and ``teacher_trainable`` ask for
    something the run would not do.

    ``student_trainable=False`` is read only where
    ``calculate_student_loss=False`` (MMRazor's connector pretraining):
    beside the student's own loss it is ignored and the student trains.
    With both off the student runs without gradients, so a run with no
    connectors (and a teacher that does not learn) trains nothing.
    ``teacher_trainable=True`` under the one-optimizer-per-part
    constructor of SAMKD and MS-MGANs adds the teacher's loss to the
    student's, but neither of its optimizers holds the teacher: the
    teacher stays as loaded (a tiny SAMKD run: rc 0, all 150 teacher
    tensors unchanged)."""
    model = cfg.get('model')
    if not hasattr(model, 'get'):
        return
    # MMRazor reads it by truth value
    teacher_trainable = bool(model.get('teacher_trainable', False))
    if model.get('student_trainable', True) is False:
        if model.get('calculate_student_loss', True) is not False:
            raise ConfigError(
                'model.student_trainable=False has no effect beside the '
                "student's own loss (MMRazor reads it only with "
                'calculate_student_loss=False): the student would train. '
                'To freeze parts of it give them optim_wrapper.paramwise_cfg'
                ' custom_keys lr_mult=0; otherwise remove the key.'
            )
        distiller = model.get('distiller')
        connectors = (
            distiller.get('connectors') if hasattr(distiller, 'get') else None
        )
        if not connectors and not teacher_trainable:
            raise ConfigError(
                'model.student_trainable=False with '
                'calculate_student_loss=False: the student runs without '
                'gradients, and with no distiller connectors and a frozen '
                'teacher nothing would train; the run would report the '
                "student's initial accuracy. Remove both keys."
            )
    if teacher_trainable and _optimizer_per_part(cfg):
        raise ConfigError(
            'model.teacher_trainable=True: the optimizers of '
            'SAMKDOptimWrapperConstructor (architecture, adversary) do not '
            "hold the teacher, so its loss would join the student's and the "
            'teacher would stay as loaded. Remove the key (MS-MGANs '
            'fine-tunes its teacher with mutual=True).'
        )


# the hook that plays a staged method's stages, by the method's model type
STAGE_HOOKS = {
    'SAMKD': (
        'AdversarialStageHook',
        "SAMKD's adversarial stages",
        'every pair ({pairs}) would be active at weight 1 from the first '
        'iteration',
        'stages=[dict(begin=0, weights=dict(<pair>=1, ...))] for every pair '
        'from the start',
    ),
    'MSMGAN': (
        'MSMGANPhaseHook',
        "MS-MGANs' phases",
        'the student would train end to end under the first teacher '
        'snapshot, playing no block phase',
        'the phases you mean',
    ),
}


def check_stage_hook(cfg: Config) -> None:
    """A staged method's config keeps the hook that plays its stages.

    MMEngine replaces a base config's list with a child's: a SAMKD child
    config that adds ``custom_hooks = [dict(type='EMAHook')]`` dropped
    the stage hook, and its run trained every pair at weight 1 from the
    start (an MS-MGANs one, end to end under the first snapshot), rc 0.
    """
    model = cfg.get('model')
    if not hasattr(model, 'get') or type_name(model) not in STAGE_HOOKS:
        return
    hook, stages, without, write = STAGE_HOOKS[type_name(model)]
    hooks = cfg.get('custom_hooks') or ()
    if any(hasattr(h, 'get') and type_name(h) == hook for h in hooks):
        return
    pairs = (model.get('adversary') or {}).get('pairs') or {}
    raise ConfigError(
        f'custom_hooks holds no {hook}, which plays {stages}: without it '
        + without.format(pairs=', '.join(pairs))
        + ". A child config's custom_hooks replaces its base's list: keep "
        "the base's hooks (custom_hooks = _base_.custom_hooks + [...]), "
        f'or add an {hook} with {write}.'
    )


def check_runs_to_its_end(cfg: Config) -> None:
    """No ``EarlyStoppingHook``. The tools take a run that ended before
    its schedule's end for an interrupted one: a second compare.py call
    resumed an early-stopped run and trained past its stop (its numbers
    changed with the number of calls), rc 0; and the hook keeps its
    patience out of checkpoints, so a resumed run would not stop where
    an uninterrupted one does."""
    custom = enumerate(cfg.get('custom_hooks') or ())
    default = (cfg.get('default_hooks') or {}).items()
    hooks = [(f'custom_hooks.{i}', hook) for i, hook in custom] + [
        (f'default_hooks.{key}', hook) for key, hook in default
    ]
    for path, hook in hooks:
        if hasattr(hook, 'get') and type_name(hook) == 'EarlyStoppingHook':
            raise ConfigError(
                f'{path} is an EarlyStoppingHook: a run it ends before its '
                'last epoch is taken for an interrupted one by --resume and '
                'compare.py (a second compare.py call would train it past '
                'its stop), and its patience is not kept in checkpoints. '
                'Remove it: every run keeps its best checkpoint by '
                'validation (default_hooks.checkpoint.save_best), which '
                'selects the epoch as early stopping would.'
            )


def check_validation_steps(cfg: Config) -> None:
    """The logger records validations in the loop's unit. MMEngine's
    ``LoggerHook`` records them by epoch unless ``log_metric_by_epoch=
    False``: under an iteration loop every validation was recorded at
    epoch 0, so the tools kept only the last (its ``best`` the last, the
    run never seen to finish); under an epoch loop ``False`` recorded
    iterations, which the tools read as epochs (``epochs 8`` for a run
    of 2, an interrupted run taken as finished)."""
    train_cfg = cfg.get('train_cfg')
    logger = (cfg.get('default_hooks') or {}).get('logger')
    if (
        not train_cfg
        or not hasattr(logger, 'get')
        or cfg.get('val_cfg') is None
    ):
        return
    by_epoch = bool(logger.get('log_metric_by_epoch', True))
    if by_epoch == counts_epochs(cfg):
        return
    if by_epoch:
        raise ConfigError(
            "default_hooks.logger.log_metric_by_epoch is True (LoggerHook's "
            'default) under an iteration loop: MMEngine would record every '
            'validation at epoch 0, and the tools would keep only the last '
            'of them. Set default_hooks.logger.log_metric_by_epoch=False, '
            "as MMEngine's iteration configs do."
        )
    raise ConfigError(
        'default_hooks.logger.log_metric_by_epoch=False under an epoch '
        'loop: validations would be recorded by iteration, which the tools '
        'read as epochs (a run of 2 epochs shown as 8, an interrupted run '
        'taken as finished). Remove it.'
    )


def check_auto_scale_lr(cfg: Config) -> None:
    """An enabled ``auto_scale_lr`` names the batch its rates were tuned
    for: MMEngine divides by ``base_batch_size`` (before: an
    ``AssertionError`` or a ``ZeroDivisionError`` traceback)."""
    scaling = enabled_auto_scale_lr(cfg)
    if scaling is None:
        return
    base = scaling.get('base_batch_size')
    if not _number(base) or base <= 0:
        given = 'not set' if base is None else f'{base!r}'
        raise ConfigError(
            'auto_scale_lr.enable=True multiplies every learning rate by '
            '(processes x batch_size) / auto_scale_lr.base_batch_size, '
            f'and base_batch_size is {given}. Set it to the batch of one '
            'step the learning rates were tuned for (64 for a 1xb64 '
            'config), or drop enable (tools/train.py and compare.py: '
            '--auto-scale-lr).'
        )


def check_training_settings(cfg: Config) -> None:
    check_optimizer_entries(cfg)
    check_trainable_networks(cfg)
    check_stage_hook(cfg)
    check_optimizers(cfg)
    check_loss_weights(cfg)
    check_temperatures(cfg)
    check_schedule(cfg)
    check_runs_to_its_end(cfg)
    check_cosine_periods(cfg)
    check_validation_steps(cfg)
    check_auto_scale_lr(cfg)
    check_loaders(cfg)
    check_views_preprocessor(cfg)
    check_seed(cfg)
