"""The stages of a staged method that a shortened schedule never reaches."""

import logging
from typing import Any, Callable, List, Sequence

from mmengine.logging import print_log

# the hooks that play a method's stages: type -> (the key of their list,
# what a stage is called); each stage's ``begin`` counts completed epochs
# (or iterations, for AdversarialStageHook(by_epoch=False))
STAGED_HOOKS = {
    'AdversarialStageHook': ('stages', 'adversarial stage'),
    'MSMGANPhaseHook': ('phases', 'MS-MGANs phase'),
}


def late_stages(begins: Sequence[int], last: int) -> List[int]:
    """Indices of the stages that begin at or after ``last``, the run's
    length: a run of that length never plays them."""
    return [i for i, begin in enumerate(begins) if begin >= last]


def unplayed_in_config(cfg: Any) -> str:
    """What a run of ``cfg`` never plays, for compare.py's table
    (``'adversarial stages 3, 4 of 4 not played'``), or ``''``."""
    train_cfg = cfg.get('train_cfg') or {}
    notes = []
    for hook in cfg.get('custom_hooks') or ():
        kind = str(hook.get('type', '')).rpartition('.')[2]
        if kind not in STAGED_HOOKS:
            continue
        key, name = STAGED_HOOKS[kind]
        by_epoch = hook.get('by_epoch', True)
        last = train_cfg.get('max_epochs' if by_epoch else 'max_iters')
        begins = [stage['begin'] for stage in hook.get(key) or ()]
        late = late_stages(begins, last) if last is not None else []
        if late:
            notes.append(
                f'{name}{"s" if len(late) > 1 else ""} '
                f'{", ".join(str(i + 1) for i in late)} of {len(begins)} '
                'not played'
            )
    return '; '.join(notes)


def warn_of_unplayed_stages(
    name: str,
    begins: Sequence[int],
    last: int,
    unit: str,
    describe: Callable[[int], str],
) -> None:
    """Log a warning when stages ``begins`` (counted in completed epochs
    or iterations) start at or after ``last``, the run's length: a
    schedule shortened below a method's stages (``max_epochs=3`` under
    SAMKD stages from epochs 4 and 6) trains a model that never plays
    them, which nothing said. ``describe(i)`` says what stage ``i``
    trains (for the stage the run ends in); ``name`` is what the stages
    are called."""
    late = late_stages(begins, last)
    if not late:
        return
    several = len(late) > 1
    print_log(
        f'{name}{"s" if several else ""} '
        f'{", ".join(str(i + 1) for i in late)} of {len(begins)} '
        f'begin{"" if several else "s"} at {unit} '
        f'{", ".join(str(begins[i]) for i in late)}, not before the '
        f"run's last {unit} ({last}): "
        f'{"they" if several else "it"} will not be played, and the run '
        f'ends in {name} {late[0]} ({describe(late[0] - 1)}). Lengthen '
        'the schedule or move the stages to compare it with the full '
        'method.',
        logger='current',
        level=logging.WARNING,
    )
