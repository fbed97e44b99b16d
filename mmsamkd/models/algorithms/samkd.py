"""SAMKD: multi-scale KD with self-supervised adversarial learning."""

import copy

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapperDict
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.registry import MODELS

from ...errors import ConfigError
from ...utils.model_wrappers import unwrap_model
from ...utils.nonfinite import (
    check_policy,
    on_nonfinite,
    read_checked,
    skip_update,
)
from ..utils import image_classes, joint_labels
from .discrepancy_samples import (
    discrepancy_samples,
    frozen_norm_statistics,
    joint_divergence,
)

# the stage name of the discrepancy samples' weight
SAMPLES = 'samples'


@MODELS.register_module()
class SAMKD(SingleTeacherDistill):
    """SAMKD: self-supervised augmented KD plus multi-stage adversaries.

    Zhang et al., "Multi-scale knowledge distillation with self-supervised
    adversarial learning" (SAMKD), Control and Decision, 2025. Its method
    section is not public; this is the reconstruction of
    ``docs/design.md`` (SAMKD), every choice a config switch:

    1. self-supervised augmented task: the teacher and the student are
       :class:`SelfSupervisedClassifier` s that rotate their batch;
    2. multi-branch auxiliary network: a branch per backbone stage;
    3. knowledge: KL(T=3) per branch and on the final logits over all views
       plus CE on upright views, from the distiller (as in HSAKD);
    4. adversarial learning: :class:`SAMKDAdversary` holds a discriminator
       per pair (pooled branch features, final logits): teacher real,
       student fake, ``bce`` / ``lsgan`` / ``hinge``;
    5. multi-stage training: :class:`AdversarialStageHook` sets which pairs
       are active and their weights by epoch or iteration.

    Optionally (``samples``), the adversarial game is also played on the
    inputs: each image is moved one signed-gradient step up the student's
    joint divergence from the teacher
    (:func:`~mmsamkd.models.algorithms.discrepancy_samples.discrepancy_samples`)
    and the student learns the teacher's joint distributions there too
    (``adv.loss_samples``), weighted by the stage weight ``'samples'``.

    Every iteration: one forward of teacher and student, then
    ``discriminator_steps`` updates of the discriminators on detached
    outputs, then one student update with CE + KL + the active generator
    losses (and the pairs' feature-matching terms, on in every stage),
    through ``OptimWrapperDict(architecture=..., adversary=...)``
    (:class:`SAMKDOptimWrapperConstructor`). ``tools/train.py`` refuses a
    config without the hook; a model built without it (a test, an
    evaluation) has every pair active with weight 1. The log's ``loss``
    is the student's total (CE, KL, matching and weighted generator
    terms); ``adv.loss_d`` is the discriminators' total, with one
    ``adv.loss_d_<pair>`` each.

    Args:
        adversary (dict): :class:`SAMKDAdversary` config. A pair may
            leave out ``channels`` and ``student_channels`` where its
            recorders read a ``Linear`` or ``Conv2d`` layer: they are read
            from that layer (its input for ``ModuleInputs``).
        discriminator_steps (int): Discriminator updates per iteration.
            Defaults to 1.
        nonfinite (str): On a NaN/inf loss, ``'raise'`` stops the run naming
            the loss and iteration; ``'skip'`` drops that iteration's
            update and logs a warning. Defaults to ``'raise'``.
        samples (dict, optional): ``dict(epsilon=float, tau=float)``: the
            step size of the discrepancy samples, in the units of the
            normalised inputs, and the temperature of their divergence
            (HSAKD's 3 by default). None (default) plays no game on the
            inputs.
        **kwargs: :class:`SingleTeacherDistill` arguments.
    """

    # two optimizers: under DDP each part is wrapped on its own
    distributed_wrapper = 'SAMKDDistributedDataParallel'

    def __init__(
        self,
        adversary: dict,
        discriminator_steps: int = 1,
        nonfinite: str = 'raise',
        samples: dict | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        check_policy(nonfinite)
        if (
            not isinstance(discriminator_steps, int)
            or isinstance(discriminator_steps, bool)
            or discriminator_steps < 1
        ):
            # before: 2.5 trained until the first discriminator step, then
            # stopped in a TypeError traceback (epochs in, for a stage)
            raise ConfigError(
                'discriminator_steps must be a whole number of at least 1, '
                f'got {discriminator_steps!r}'
            )
        self.samples = self._check_samples(samples)
        self.sample_weight = 1.0 if self.samples else 0.0
        # On a stream of its own: building the adversary must not move the
        # random state that the runner's init_weights then draws the
        # student from, so that a seed starts SAMKD from the very student
        # HSAKD starts from and a comparison of the two is paired.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed((torch.initial_seed() + 1) % 2**63)
            self.adversary = MODELS.build(self._with_widths(adversary))
        # kept here too: under MMSeparateDistributedDataParallel the
        # adversary is DDP-wrapped and reachable only through forward()
        pairs = self.adversary.pairs
        self.adversarial_pairs = self.adversary.recorders()
        self.matched_pairs = self.adversary.matched_pairs()
        self.conditional_pairs = {n for n, p in pairs.items() if p.conditional}
        # matching-aware pairs: pair -> the teacher recorder of its condition
        self.condition_recorders = {
            name: pair.condition[0]
            for name, pair in pairs.items()
            if pair.condition is not None
        }
        # the rows of a record are the rotated views of each image in turn
        self.rows_per_image = getattr(self.student, 'num_rotations', 1)
        for name, pair in pairs.items():
            rotation = pair.rotation
            # a wrong count would still divide the rows, with wrong targets
            if rotation and rotation['num_rotations'] != (
                self.student.num_rotations
            ):
                raise ConfigError(
                    f"adversarial pair {name!r} sets rotation's "
                    f'num_rotations={rotation["num_rotations"]}, but the '
                    f'student sees {self.student.num_rotations} rotated '
                    'views: make them equal'
                )
        for name, (student, teacher) in self.adversarial_pairs.items():
            for recorder, manager in (
                (student, 'student_recorders'),
                (teacher, 'teacher_recorders'),
                (self.condition_recorders.get(name), 'teacher_recorders'),
            ):
                if recorder is None:  # no condition
                    continue
                if recorder not in getattr(self.distiller, manager).recorders:
                    raise ConfigError(
                        f'adversarial pair {name!r} reads recorder '
                        f"{recorder!r}, which the distiller's {manager} "
                        'do not define'
                    )
        self.discriminator_steps = discriminator_steps
        # pair widths are checked on the first step, when records exist
        self._widths_checked = False
        self.nonfinite = nonfinite
        self.adversarial_weights = {
            name: 1.0 for name in self.adversarial_pairs
        }

    def _recorded_width(self, recorder: str, from_student: bool) -> int | None:
        """The width a recorder gives, read from the layer it records (a
        ``Linear`` or ``Conv2d``: its output, or its input for
        ``ModuleInputs``); None where it cannot be read."""
        side = 'student' if from_student else 'teacher'
        recorders = getattr(self.distiller, f'{side}_recorders').recorders
        if recorder not in recorders:
            return None  # named in the recorder check below
        record = recorders[recorder]
        model = self.student if from_student else self.teacher
        layer = dict(model.named_modules()).get(getattr(record, 'source', ''))
        inputs = type(record).__name__ == 'ModuleInputsRecorder'
        if isinstance(layer, nn.Linear):
            return layer.in_features if inputs else layer.out_features
        if isinstance(layer, nn.Conv2d):
            return layer.in_channels if inputs else layer.out_channels
        return None

    def _with_widths(self, adversary: dict) -> dict:
        """``adversary`` with each pair's missing ``channels`` and
        ``student_channels`` read from the layers its recorders record
        (the logits pair's from the head's classes, a branch feature's from
        the branch's fc), so that a config need not restate them."""
        adversary = copy.deepcopy(adversary)
        for pair in adversary.get('pairs', {}).values():
            for key, recorder, from_student in (
                ('channels', pair.get('teacher'), False),
                ('student_channels', pair.get('student'), True),
            ):
                if key not in pair and recorder is not None:
                    width = self._recorded_width(recorder, from_student)
                    if width is not None:
                        pair[key] = width
        return adversary

    @staticmethod
    def _check_samples(samples):
        if samples is None:
            return None
        unknown = set(samples) - {'epsilon', 'tau'}
        if unknown or 'epsilon' not in samples:
            raise ConfigError(
                f'samples takes epsilon (required) and tau, got '
                f'{sorted(samples)}: e.g. samples=dict(epsilon=0.1, tau=3)'
            )
        samples = {'tau': 3.0, **samples}
        if samples['epsilon'] <= 0 or samples['tau'] <= 0:
            raise ConfigError(
                f'samples needs epsilon > 0 and tau > 0, got {samples}'
            )
        return samples

    def check_adversarial_weights(
        self, weights: dict, where: str = 'adversarial stage'
    ) -> None:
        """Refuse ``weights`` that name a pair the adversary does not have
        (``where``: the stage, for the message)."""
        known = set(self.adversarial_pairs)
        if self.samples:
            known.add(SAMPLES)
        unknown = set(weights) - known
        if unknown:
            raise ConfigError(
                f'{where} names unknown pairs {sorted(unknown)}; '
                f'the adversary has {sorted(known)}'
                + ('' if self.samples else ' (samples needs model.samples)')
            )

    def set_adversarial_weights(self, weights: dict) -> None:
        """Activate pairs: ``{name: weight}``; absent or 0 means off
        (``'samples'`` weighs the discrepancy samples)."""
        self.check_adversarial_weights(weights)
        self.adversarial_weights = {
            name: float(weights.get(name, 0.0))
            for name in self.adversarial_pairs
        }
        self.sample_weight = float(weights.get(SAMPLES, 0.0))

    def pair_records(self, name: str) -> tuple:
        """(student, teacher) tensors of a pair, from the distiller, and
        the teacher's condition third for a matching-aware pair."""
        student, teacher = self.adversarial_pairs[name]
        records = (
            self.distiller.get_record(student, from_student=True),
            self.distiller.get_record(teacher, from_student=False),
        )
        if name in self.condition_recorders:
            records += (
                self.distiller.get_record(
                    self.condition_recorders[name], from_student=False
                ),
            )
        # ModuleInputs records the tuple of a module's inputs: take the first
        return tuple(
            r[0] if isinstance(r, (tuple, list)) else r for r in records
        )

    def _checked(self, log_vars):
        """``(finite, log)``: ``log_vars`` as floats, read from the device
        in one copy (also what is logged: no read per term), and whether
        all of them are finite on every rank; if not, the nonfinite policy
        applies."""
        values, finite = read_checked(log_vars)
        if finite:
            return True, values
        on_nonfinite(
            values,
            self.nonfinite,
            'Lower the learning rates or the adversarial weights, or set '
            "model.nonfinite='skip' to drop such iterations.",
        )
        return False, values

    @staticmethod
    def _skip_update(wrapper, losses):
        skip_update(wrapper, [v for k, v in losses.items() if 'loss' in k])

    def _joint_labels(self, data):
        """Joint labels ``K * y + k`` of the rotated views, for conditional
        pairs (None when the adversary has none)."""
        if not self.conditional_pairs:
            return None
        labels = image_classes(data['data_samples'], 'conditional pairs')
        return joint_labels(labels, self.student.num_rotations)

    def _update_discriminators(self, records, adversary_wrapper, labels=None):
        """``discriminator_steps`` updates on the pairs in ``records``;
        returns their log (empty when ``records`` is)."""
        adversary_log = {}
        for _ in range(self.discriminator_steps if records else 0):
            with adversary_wrapper.optim_context(self.adversary):
                d_losses = self.adversary(
                    records,
                    mode='discriminator',
                    labels=labels,
                    rows_per_image=self.rows_per_image,
                )
            d_losses = {f'adv.{k}': v for k, v in d_losses.items()}
            d_loss, adversary_log = self.parse_losses(d_losses)
            # 'loss' is the student's total in the log: the discriminators'
            # total gets its own key
            adversary_log['adv.loss_d'] = adversary_log.pop('loss')
            # drop the grads the last student step left in the discriminators
            adversary_wrapper.zero_grad()
            finite, adversary_log = self._checked(adversary_log)
            if finite:
                adversary_wrapper.update_params(d_loss)
            else:
                self._skip_update(adversary_wrapper, d_losses)
        return adversary_log

    def _optim_wrappers(self, optim_wrapper, extra=()):
        keys = {'architecture', 'adversary', *extra}
        if (
            not isinstance(optim_wrapper, OptimWrapperDict)
            or set(optim_wrapper.keys()) != keys
        ):
            raise ConfigError(
                f'{type(self).__name__} trains several optimizers: set '
                "optim_wrapper with constructor='SAMKDOptimWrapperConstructor'"
                f' and entries {sorted(keys)}'
            )
        return optim_wrapper['architecture'], optim_wrapper['adversary']

    def _sample_loss(self, inputs):
        """The student's joint divergence from the teacher on discrepancy
        samples of ``inputs``; neither pass moves its norm statistics.

        Both passes call ``forward_views`` on the bare classifiers, outside
        the student's DDP wrapper; their parameter gradients join the one
        backward of the wrapped forward, so DDP still reduces each gradient
        once."""
        teacher = unwrap_model(self.teacher)
        student = unwrap_model(self.student)
        epsilon, tau = self.samples['epsilon'], self.samples['tau']
        moved = discrepancy_samples(teacher, student, inputs, epsilon, tau)
        with frozen_norm_statistics(student):
            return joint_divergence(teacher, student, moved, tau)

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> dict:
        student_wrapper, adversary_wrapper = self._optim_wrappers(
            optim_wrapper
        )
        with student_wrapper.optim_context(self.student):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        # a broken forward (NaN logits) is named here, before any update
        _, forward_log = self.parse_losses(losses)
        finite, forward_log = self._checked(forward_log)
        if not finite:
            self._skip_update(student_wrapper, losses)
            return forward_log
        if not self._widths_checked:
            unwrap_model(self.adversary).check_widths(
                {
                    name: self.pair_records(name)
                    for name in self.adversarial_pairs
                }
            )
            self._widths_checked = True
        active = {n: w for n, w in self.adversarial_weights.items() if w > 0}
        records = {
            name: self.pair_records(name)
            for name in self.adversarial_pairs
            if name in active or name in self.matched_pairs
        }
        labels = self._joint_labels(data)
        adversary_log = self._update_discriminators(
            {n: records[n] for n in active}, adversary_wrapper, labels
        )
        if records:
            with student_wrapper.optim_context(self.student):
                g_losses = self.adversary(
                    records,
                    mode='generator',
                    adversarial=active,
                    labels=labels,
                )
            for key, value in g_losses.items():
                if key.startswith('loss_g_'):
                    value = active[key[len('loss_g_') :]] * value
                losses[f'adv.{key}'] = value
        if self.sample_weight > 0:
            with student_wrapper.optim_context(self.student):
                losses['adv.loss_samples'] = (
                    self._sample_loss(data['inputs']) * self.sample_weight
                )
        loss, log_vars = self.parse_losses(losses)
        finite, log_vars = self._checked(log_vars)
        if finite:
            student_wrapper.update_params(loss)
        else:
            self._skip_update(student_wrapper, losses)
        log_vars.update(adversary_log)
        return log_vars
