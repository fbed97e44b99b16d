"""The stages of a staged method that a shortened schedule never reaches."""

import logging
from typing import Callable, Sequence

from mmengine.logging import print_log


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
    late = [i for i, begin in enumerate(begins) if begin >= last]
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
