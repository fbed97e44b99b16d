"""Evaluation settings that would score other images than the split's,
score them differently at each validation, or keep the wrong checkpoint
as the best.

Each of these ran to rc 0 with a number or a checkpoint that is not what
its name says, or failed only after the first epoch:

- ``val_dataloader.drop_last=True``: the images past the last whole batch
  are never scored (9984 of the 10000 Fashion-MNIST test images at batch
  256); an ``InfiniteSampler`` in an evaluation loader never ended its
  first validation.
- the training pipeline in an evaluation loader (``RandomCrop``,
  ``RandomFlip``): every validation scores other crops of its images, so
  the accuracy, and the epoch chosen as best by it, move with the
  random draw.
- ``save_best='teacher.accuracy/top1'``: a frozen teacher scores the same
  at every validation, so the "best" student checkpoint was the first
  epoch's; ``rule='less'`` on an accuracy kept the worst one; a name no
  evaluator gives (``'loss'``) stopped with a ``KeyError`` an epoch in,
  and a metric whose direction MMEngine cannot guess
  (``'transfer/ece'``) with a ``ValueError``.
- ``Accuracy(topk=0)``: a top-0 accuracy of 0 at every validation, chosen
  by ``save_best='auto'``; a ``k`` above the head's class count stopped at
  the first validation, after an epoch of training.

:func:`check_evaluation_settings` refuses them in one line before the
Runner is built.
"""

from typing import Any, Dict, Iterator, List, Optional, Sequence

from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from ..errors import ConfigError
from .registered_types import type_name

EVALUATION_LOADERS = ('val_dataloader', 'test_dataloader')

# TransferMetric's keys (mmsamkd.evaluation.transfer_metric): a lower
# KL or calibration error is better; the teacher's keys need a teacher
_TRANSFER_KEYS = {'ece': 'less'}
_TRANSFER_TEACHER_KEYS = {
    'agreement': 'greater',
    'kl': 'less',
    'teacher_ece': 'less',
}

# random transforms whose names do not start with 'Random'
_RANDOM_TRANSFORMS = {
    'AutoAugment',
    'RandAugment',
    'ColorJitter',
    'GaussianBlur',
    'Lighting',
}


def _evaluators(cfg: Config, name: str = 'val_evaluator') -> List[Any]:
    evaluators = cfg.get(name)
    if hasattr(evaluators, 'get'):
        return [evaluators]
    return [e for e in evaluators or () if hasattr(e, 'get')]


def metric_directions(cfg: Config) -> Dict[str, Optional[Dict[str, str]]]:
    """``{prefix: {metric name: 'greater' or 'less'}}`` of the metrics
    the validation's ``Accuracy`` and ``TransferMetric`` give, e.g.
    ``{'accuracy': {'accuracy/top1': 'greater'}}``; None for a prefix whose
    names are known only once it runs (an ``Accuracy`` of several
    thresholds carries them in its names)."""
    has_teacher = 'teacher' in (cfg.get('model') or {})
    given: Dict[str, Optional[Dict[str, str]]] = {}
    for evaluator in _evaluators(cfg):
        kind = type_name(evaluator)
        if kind == 'Accuracy':
            prefix = evaluator.get('prefix') or 'accuracy'
            topk = evaluator.get('topk', (1,))
            topk = (topk,) if isinstance(topk, int) else topk
            thrs = evaluator.get('thrs', 0.0)
            if isinstance(thrs, (list, tuple)) and len(thrs) > 1:
                given[prefix] = None
                continue
            keys = {f'top{k}': 'greater' for k in topk}
        elif kind == 'TransferMetric':
            prefix = evaluator.get('prefix') or 'transfer'
            keys = dict(_TRANSFER_KEYS)
            if has_teacher:
                keys.update(_TRANSFER_TEACHER_KEYS)
        else:
            continue
        if prefix in given and given[prefix] is None:
            continue
        names = given.setdefault(prefix, {})
        names.update({f'{prefix}/{key}': rule for key, rule in keys.items()})
    return given


def metrics_given_instead(cfg: Config, name: str) -> Optional[List[str]]:
    """The metrics ``cfg``'s validation gives under ``name``'s prefix,
    when ``name`` is not one of them (``accuracy/top5`` under
    ``topk=(1,)``), or all it gives when no evaluator gives that prefix
    and every evaluator is known; None when ``name`` is given, or when
    the validation's evaluators do not settle it."""
    given = metric_directions(cfg)
    prefix = str(name).split('/')[0]
    if prefix not in given:
        if not _all_evaluators_known(cfg):
            return None
        return sorted(n for names in given.values() for n in names or ())
    if given[prefix] is None or name in given[prefix]:
        return None
    return sorted(given[prefix])


def metric_direction(cfg: Config, name: str) -> Optional[str]:
    """``'greater'`` or ``'less'``: which value of ``name`` is better, as
    the validation's evaluators say (``transfer/ece``: less) or else as
    MMEngine's checkpoint hook infers it from the name; None when neither
    tells."""
    names = metric_directions(cfg).get(str(name).split('/')[0]) or {}
    return names.get(name) or _rule_mmengine_infers({}, str(name))


def _all_evaluators_known(cfg: Config) -> bool:
    return all(
        type_name(e) in ('Accuracy', 'TransferMetric')
        for e in _evaluators(cfg)
    )


def _first_metric(cfg: Config) -> Optional[str]:
    """The first metric the validation gives, where known: ``save_best
    ='auto'`` keeps the best checkpoint by it."""
    evaluators = _evaluators(cfg)
    if not evaluators or type_name(evaluators[0]) != 'Accuracy':
        return None
    prefix = evaluators[0].get('prefix') or 'accuracy'
    return next(iter(metric_directions(cfg).get(prefix) or ()), None)


def _rule_mmengine_infers(hook: Any, name: str) -> Optional[str]:
    """The rule CheckpointHook picks for ``name`` when none is given."""
    name = name.lower()
    greater = hook.get('greater_keys') or CheckpointHook._default_greater_keys
    less = hook.get('less_keys') or CheckpointHook._default_less_keys
    greater = {
        k.lower() for k in ([greater] if isinstance(greater, str) else greater)
    }
    less = {k.lower() for k in ([less] if isinstance(less, str) else less)}
    if name in greater:
        return 'greater'
    if name in less:
        return 'less'
    if any(k in name for k in greater):
        return 'greater'
    if any(k in name for k in less):
        return 'less'
    return None


def check_save_best(cfg: Config) -> None:
    """The checkpoint hook's ``save_best`` names a metric of the model
    this run trains that its validation gives, and keeps the checkpoint
    where that metric is best, not worst."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    best = hook.get('save_best') if hasattr(hook, 'get') else None
    key = f'default_hooks.checkpoint.save_best={best!r}'
    if best == 'auto':  # MMEngine takes the first metric it is given
        best = _first_metric(cfg)
        key += f' (the first metric, {best})'
    if best is None:
        return
    names = [best] if isinstance(best, str) else list(best)
    rules = hook.get('rule')
    rules = list(rules) if isinstance(rules, (list, tuple)) else [rules]
    rules = rules * len(names) if len(rules) == 1 else rules
    given = metric_directions(cfg)
    for name, rule in zip(names, rules):
        if len(names) > 1:
            key = f'default_hooks.checkpoint.save_best entry {name!r}'
        if name.startswith('teacher.') or name.endswith('/teacher_ece'):
            raise ConfigError(
                f'{key} scores the teacher, not the model this run trains: '
                'a frozen teacher scores the same at every validation, so '
                "the 'best' checkpoint would be the first one saved. Name a "
                "metric of the student's (accuracy/top1)."
            )
        known = given.get(name.split('/')[0])
        listed = metrics_given_instead(cfg, name)
        if listed:
            raise ConfigError(
                f"{key} is not a metric of this run's validation (it gives "
                f'{", ".join(listed)}): the run would stop at its first '
                'validation. Name one of those'
                + (
                    ", or add the k to val_evaluator's topk."
                    if '/top' in name
                    else '.'
                )
            )
        direction = (known or {}).get(name)
        if direction is None:
            continue
        chosen = rule or _rule_mmengine_infers(hook, name)
        if chosen is None:
            raise ConfigError(
                f'{key}: MMEngine cannot tell whether a higher or a lower '
                f'{name} is better, and stops the run. Set '
                f'default_hooks.checkpoint.rule={direction!r}.'
            )
        if chosen != direction:
            worst = 'lowest' if direction == 'greater' else 'highest'
            raise ConfigError(
                f'{key} with rule={chosen!r} keeps the checkpoint of the '
                f"{worst} {name} as the 'best': the worst of the run. Set "
                f'default_hooks.checkpoint.rule={direction!r}.'
            )


def wrapped_datasets(dataset: Any) -> Iterator[Any]:
    """``dataset`` and every dataset a wrapper of it holds."""
    if not hasattr(dataset, 'get'):
        return
    yield dataset
    yield from wrapped_datasets(dataset.get('dataset'))
    for each in dataset.get('datasets') or ():
        yield from wrapped_datasets(each)


def random_transforms(dataset: Any) -> List[str]:
    """The names of the random transforms in ``dataset``'s pipelines: a
    ``Random*`` transform or a known augmentation policy, unless its
    ``prob`` is 0."""
    found = []
    for each in wrapped_datasets(dataset):
        for step in each.get('pipeline') or ():
            if not hasattr(step, 'get') or step.get('prob', None) == 0:
                continue
            name = type_name(step)
            if name.startswith('Random') or name in _RANDOM_TRANSFORMS:
                found.append(name)
    return found


def check_evaluation_loaders(
    cfg: Config, loaders: Sequence[str] = EVALUATION_LOADERS
) -> None:
    """Each evaluation loader scores each image of its dataset once, as
    it is."""
    from mmengine.dataset import DefaultSampler
    from mmpretrain.registry import DATA_SAMPLERS

    for loader in loaders:
        settings = cfg.get(loader)
        if not hasattr(settings, 'get'):
            continue
        batch_sampler = settings.get('batch_sampler') or {}
        for key, value in (
            (f'{loader}.drop_last', settings.get('drop_last')),
            (
                f'{loader}.batch_sampler.drop_last',
                batch_sampler.get('drop_last')
                if hasattr(batch_sampler, 'get')
                else None,
            ),
        ):
            if value:
                raise ConfigError(
                    f'{key}={value}: the images past the last whole batch '
                    'would never be scored, and the accuracy would be that '
                    'of the rest. Remove it: an evaluation scores every '
                    'image.'
                )
        sampler = settings.get('sampler') or {}
        name = type_name(sampler) if hasattr(sampler, 'get') else ''
        # None: a name of another scope's, left to it
        found = DATA_SAMPLERS.get(name) if name else None
        if isinstance(found, type) and not issubclass(found, DefaultSampler):
            raise ConfigError(
                f'{loader}.sampler.type={name!r} does not read each image '
                'of the dataset once (an InfiniteSampler never ends the '
                'evaluation; a repeating sampler scores some images '
                "twice). Use dict(type='DefaultSampler', shuffle=False)."
            )
        shown = random_transforms(settings.get('dataset'))
        if shown:
            raise ConfigError(
                f'{loader}.dataset.pipeline holds {", ".join(shown)}: each '
                'evaluation would score other random views of its images, '
                'so its accuracy, and the checkpoint chosen by it, would '
                'move with the draw. Evaluate the images as they are (the '
                "config's test_pipeline)."
            )


def check_checkpoints_in_work_dir(cfg: Config) -> None:
    """The checkpoint hook saves in the work dir, where the tools look for
    a run's checkpoints. Before, ``default_hooks.checkpoint.out_dir``
    moved them elsewhere: a fresh run over an earlier one was not refused
    and overwrote its checkpoints there, rc 0, and ``compare.py`` found
    no finished run."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    out_dir = hook.get('out_dir') if hasattr(hook, 'get') else None
    if out_dir:
        raise ConfigError(
            f'default_hooks.checkpoint.out_dir={out_dir!r}: the tools keep '
            "a run's checkpoints beside its logs and records in its work "
            'dir (--resume, compare.py, the checks that no run is '
            'overwritten). Drop out_dir, and give the place as --work-dir.'
        )


def _head_classes(cfg: Config) -> Optional[int]:
    """The class count of the network a run trains (a distilled
    student's), where its config gives one."""
    from .config_check import head_class_count  # it imports this module

    model = cfg.get('model') or {}
    count = head_class_count(model.get('architecture') or model)
    return count if isinstance(count, int) else None


def check_accuracy_topk(
    cfg: Config, evaluators: Sequence[str] = ('val_evaluator',)
) -> None:
    """Each ``k`` of an ``Accuracy``'s ``topk`` is a whole number from 1
    to the head's class count.

    ``topk=0`` ran to rc 0 with ``accuracy/top0: 0.0`` at every
    validation, and ``save_best='auto'`` kept the first epoch as the best
    by it; a ``k`` above the class count stopped in MMPretrain's
    ``ValueError`` at the end of the first validation, after an epoch of
    training.
    """
    classes = _head_classes(cfg)
    for name in evaluators:
        node = cfg.get(name)
        entries = (
            [(name, node)]
            if hasattr(node, 'get')
            else [(f'{name}.{i}', e) for i, e in enumerate(node or ())]
        )
        for place, evaluator in entries:
            if not hasattr(evaluator, 'get') or (
                type_name(evaluator) != 'Accuracy'
            ):
                continue
            topk = evaluator.get('topk', 1)
            for k in topk if isinstance(topk, (list, tuple)) else [topk]:
                if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                    raise ConfigError(
                        f'{place}.topk={topk!r}: top-k accuracy counts an '
                        'image as right when its label is among the k '
                        'highest scores, so each k is a whole number of at '
                        'least 1 (top-0 is 0 for every model, and '
                        "save_best='auto' would choose by it). Set "
                        'topk=(1,) or (1, 5).'
                    )
                if classes is not None and k > classes:
                    raise ConfigError(
                        f'{place}.topk={topk!r}: top-{k} needs {k} classes, '
                        f'but the head predicts {classes} (MMPretrain stops '
                        'at the end of the first validation). Keep each k '
                        f'at most {classes}.'
                    )


def check_evaluation_settings(cfg: Config) -> None:
    check_evaluation_loaders(cfg)
    check_accuracy_topk(cfg)
    check_save_best(cfg)
    check_checkpoints_in_work_dir(cfg)
