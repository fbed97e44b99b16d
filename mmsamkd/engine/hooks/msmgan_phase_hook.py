"""Move MS-MGANs through its block phases and teacher snapshots."""

from typing import Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...errors import ConfigError
from ...utils.model_wrappers import driven_algorithm, unwrap_model
from .unplayed_stages import warn_of_unplayed_stages


@HOOKS.register_module()
class MSMGANPhaseHook(Hook):
    """Set :class:`~mmsamkd.models.MSMGAN`'s phase from the epoch.

    Before training and before every epoch the phase in force is
    recomputed from the runner's epoch, so a resumed run lands in the
    phase it was in (and keeps the teacher snapshot it had). Every switch
    is logged.

    Args:
        phases (list[dict]): ``dict(begin=int, block=int | None,
            snapshot=int)`` in increasing ``begin``, the first at 0.
            ``block=None`` is the final, end-to-end phase.
    """

    priority = 'NORMAL'

    def __init__(self, phases: Sequence[dict]) -> None:
        if not phases or phases[0].get('begin') != 0:
            raise ConfigError('MSMGANPhaseHook phases must start at epoch 0')
        begins = [phase['begin'] for phase in phases]
        if begins != sorted(set(begins)):
            raise ConfigError(f'phase begins must increase, got {begins}')
        for phase in phases:
            if 'snapshot' not in phase:
                raise ConfigError(f'phase {phase} names no teacher snapshot')
        self.phases = [
            dict(
                begin=p['begin'], block=p.get('block'), snapshot=p['snapshot']
            )
            for p in phases
        ]
        self.current = None

    def phase_at(self, epoch: int) -> int:
        """Index of the phase in force in epoch ``epoch``."""
        return max(i for i, p in enumerate(self.phases) if p['begin'] <= epoch)

    def _update(self, runner):
        index = self.phase_at(runner.epoch)
        if index == self.current:
            return
        model = unwrap_model(runner.model)
        phase = self.phases[index]
        model.set_phase(phase['block'], phase['snapshot'])
        self.current = index
        print_log(
            f'MS-MGANs phase {index + 1}/{len(self.phases)} from epoch '
            f'{runner.epoch}: {self._describe(phase)}',
            logger='current',
        )

    @staticmethod
    def _describe(phase: dict) -> str:
        what = (
            'final phase (whole student, CE + KD)'
            if phase['block'] is None
            else f'block {phase["block"]} against its discriminator'
        )
        return f'{what}, teacher snapshot {phase["snapshot"]}'

    def before_train(self, runner: Runner) -> None:
        self.current = None
        # every phase now, not when it begins (epochs into the run)
        model = driven_algorithm(
            runner.model, 'MSMGANPhaseHook', 'check_phase', 'MSMGAN'
        )
        for index, phase in enumerate(self.phases):
            model.check_phase(
                phase['block'],
                phase['snapshot'],
                f'MS-MGANs phase {index + 1} (begin={phase["begin"]})',
            )
        warn_of_unplayed_stages(
            'MS-MGANs phase',
            [phase['begin'] for phase in self.phases],
            runner.max_epochs,
            'epoch',
            lambda index: self._describe(self.phases[index]),
        )
        self._update(runner)

    def before_train_epoch(self, runner: Runner) -> None:
        self._update(runner)
