"""Move SAMKD through its adversarial stages by epoch or iteration."""

from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmrazor.registry import HOOKS

from ...errors import ConfigError
from ...utils.model_wrappers import driven_algorithm, unwrap_model
from .unplayed_stages import warn_of_unplayed_stages


@HOOKS.register_module()
class AdversarialStageHook(Hook):
    """Set which adversarial pairs of :class:`SAMKD` are active, and how much.

    Multi-stage adversarial training of SAMKD (docs/design.md): e.g. a
    warm-up with knowledge distillation only, then feature discriminators
    from shallow to deep, then the logits discriminator too. The hook only
    sets the stage on the algorithm; before every epoch (or iteration) it
    recomputes the stage from the runner's counter, so a resumed run
    continues in the stage it was in. Every switch is logged.

    Args:
        stages (list[dict]): ``dict(begin=int, weights=dict(pair=float))``
            in increasing ``begin``, the first at 0. A stage lasts until the
            next one begins; pairs absent from ``weights`` are off.
        by_epoch (bool): ``begin`` counts epochs (else iterations).
            Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self, stages: list, by_epoch: bool = True) -> None:
        if not stages or stages[0].get('begin') != 0:
            raise ConfigError(
                'AdversarialStageHook stages must start with a '
                'stage that begins at 0'
            )
        begins = [stage['begin'] for stage in stages]
        if begins != sorted(set(begins)):
            raise ConfigError(f'stage begins must increase, got {begins}')
        self.stages = [
            dict(begin=s['begin'], weights=dict(s.get('weights', {})))
            for s in stages
        ]
        self.by_epoch = by_epoch
        self.current = None

    def stage_at(self, progress: int) -> dict:
        """Index of the stage in force after ``progress`` epochs/iters."""
        return max(
            i for i, s in enumerate(self.stages) if s['begin'] <= progress
        )

    def _update(self, runner):
        progress = runner.epoch if self.by_epoch else runner.iter
        index = self.stage_at(progress)
        if index == self.current:
            return
        model = unwrap_model(runner.model)
        weights = self.stages[index]['weights']
        model.set_adversarial_weights(weights)
        self.current = index
        unit = 'epoch' if self.by_epoch else 'iteration'
        print_log(
            f'adversarial stage {index + 1}/{len(self.stages)} from {unit} '
            f'{progress}: {self._describe(index)}',
            logger='current',
        )

    def _describe(self, index: int) -> str:
        """The discriminators stage ``index`` plays, and their weights."""
        weights = self.stages[index]['weights']
        active = ', '.join(f'{k}x{v:g}' for k, v in weights.items() if v)
        return active or 'no discriminator'

    def before_train(self, runner: Runner) -> None:
        self.current = None
        # every stage now, not when it begins: a misspelt pair in a later
        # stage stopped the run epochs in, or never, if not reached
        model = driven_algorithm(
            runner.model,
            'AdversarialStageHook',
            'check_adversarial_weights',
            'SAMKD',
        )
        for index, stage in enumerate(self.stages):
            model.check_adversarial_weights(
                stage['weights'],
                f'adversarial stage {index + 1} (begin={stage["begin"]})',
            )
        if getattr(model, 'samples', None) and not any(
            stage['weights'].get('samples') for stage in self.stages
        ):
            # before: rc 0, the samples configured and never played
            raise ConfigError(
                'model.samples sets discrepancy samples, but no adversarial '
                "stage weighs 'samples', so they would never be played. "
                'Give the stages that play them a weight (weights=dict(..., '
                'samples=1)), or drop model.samples.'
            )
        self._warn_of_stages_never_reached(runner)
        self._update(runner)

    def _warn_of_stages_never_reached(self, runner: Runner) -> None:
        warn_of_unplayed_stages(
            'adversarial stage',
            [stage['begin'] for stage in self.stages],
            runner.max_epochs if self.by_epoch else runner.max_iters,
            'epoch' if self.by_epoch else 'iteration',
            self._describe,
        )

    def before_train_epoch(self, runner: Runner) -> None:
        if self.by_epoch:
            self._update(runner)

    def before_train_iter(
        self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None
    ) -> None:
        if not self.by_epoch:
            self._update(runner)
