"""SAMKD's adversaries: one :class:`AdversarialPair` per distilled output."""

import re
from typing import Dict, Iterable, Optional

import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from .adversarial_pair import check_pair_keys

# checkpoints written before the pairs were modules of their own
_OLD_KEY = re.compile(r'^(connectors|discriminators)\.([^.]+)\.(.*)$')
_NEW_PART = {'connectors': 'connector', 'discriminators': 'discriminator'}


@MODELS.register_module()
class SAMKDAdversary(nn.Module):
    """The adversarial pairs of SAMKD, teacher real and student fake, in
    one module.

    Each pair (:class:`AdversarialPair`, which documents the options)
    owns its connector, discriminator and checks. All learnable adversarial
    parts live here, called only through :meth:`forward`, so that the
    module can be wrapped by DDP (MMSeparateDistributedDataParallel wraps
    each child of the algorithm that has parameters).

    Args:
        pairs (dict): ``name -> dict(student=..., teacher=...,
            channels=int, ...)``, an :class:`AdversarialPair` config
            (``type`` optional) without its name.
        discriminator (dict): Default discriminator config; ``in_channels``
            is filled in. Defaults to an ``MLPDiscriminator``.
        gan_type (str): ``'bce'``, ``'lsgan'`` or ``'hinge'``. Defaults to
            ``'bce'``.
    """

    def __init__(
        self,
        pairs: dict,
        discriminator: dict | None = None,
        gan_type: str = 'bce',
    ) -> None:
        super().__init__()
        if not pairs:
            raise ConfigError('SAMKDAdversary needs at least one pair')
        discriminator = discriminator or dict(type='MLPDiscriminator')
        self.pairs = nn.ModuleDict()
        for name, pair in pairs.items():
            pair = dict(pair)
            check_pair_keys(name, pair)
            pair.setdefault('type', 'AdversarialPair')
            pair.setdefault('discriminator', discriminator)
            self.pairs[name] = MODELS.build(
                dict(pair, name=name, gan_type=gan_type)
            )

    @property
    def connectors(self) -> nn.ModuleDict:
        """The pairs' connectors by pair name (trained with the student)."""
        return nn.ModuleDict(
            {
                n: p.connector
                for n, p in self.pairs.items()
                if p.connector is not None
            }
        )

    @property
    def discriminators(self) -> nn.ModuleDict:
        """The pairs' discriminators by pair name."""
        return nn.ModuleDict(
            {n: p.discriminator for n, p in self.pairs.items()}
        )

    def recorders(self) -> dict:
        """``name -> (student recorder, teacher recorder)``."""
        return {n: (p.student, p.teacher) for n, p in self.pairs.items()}

    def matched_pairs(self) -> list:
        """Names of the pairs with a feature-matching term."""
        return [n for n, p in self.pairs.items() if p.match_weight > 0]

    @staticmethod
    def upgrade_state_dict(state_dict: dict, prefix: str = '') -> None:
        """Rename, in place, the keys of checkpoints written before the
        pairs were modules of their own: ``connectors.<pair>.*`` and
        ``discriminators.<pair>.*`` are ``pairs.<pair>.connector.*`` and
        ``pairs.<pair>.discriminator.*``."""
        for key in [k for k in state_dict if k.startswith(prefix)]:
            old = _OLD_KEY.match(key[len(prefix) :])
            if old:
                part, name, rest = old.groups()
                new = f'{prefix}pairs.{name}.{_NEW_PART[part]}.{rest}'
                state_dict[new] = state_dict.pop(key)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        self.upgrade_state_dict(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def check_widths(self, records: dict) -> None:
        """Refuse pairs whose recorded outputs are not as wide as the pair
        says, on the first step rather than when the pair's stage begins.

        Args:
            records (dict): ``name -> (student, teacher)`` tensors of every
                pair, as recorded (rows first, channels second), with the
                condition third for matching-aware pairs.
        """
        for name, (student, teacher, *condition) in records.items():
            self.pairs[name].check_widths(
                student, teacher, condition[0] if condition else None
            )

    def forward(
        self,
        records: Dict[str, tuple],
        mode: str = 'generator',
        adversarial: Optional[Iterable[str]] = None,
        labels: Optional[Tensor] = None,
        rows_per_image: int = 1,
    ) -> Dict[str, Tensor]:
        """Losses of the pairs in ``records``, in one call.

        Args:
            records (dict): ``name -> (student, teacher)`` tensors, with
                the condition third for matching-aware pairs.
            mode (str): ``'discriminator'``: ``loss_d_<name>``, each
                discriminator's loss on the teacher output (real) and the
                detached student output (fake), which reaches neither
                student nor connector. ``'generator'``: ``loss_g_<name>``,
                the student's loss for being told apart, through the
                connector (unweighted), for the pairs in ``adversarial``;
                and ``loss_match_<name>``, the weighted matching term, for
                the pairs in ``records`` that have one.
            adversarial (Iterable[str], optional): Pairs whose generator
                loss is wanted. Defaults to every pair in ``records``.
            labels (Tensor, optional): ``(M,)`` labels of the rows, for the
                conditional pairs.
            rows_per_image (int): Consecutive rows that are views of one
                image (the rotated views); matching-aware pairs draw their
                mismatched rows from other images at the same view.

        Returns:
            dict: The losses. One forward per step keeps DDP (which
            expects one backward per forward) happy.
        """
        if mode not in ('generator', 'discriminator'):
            raise ValueError(
                f'mode must be generator or discriminator, got {mode!r}'
            )
        losses = {}
        for name, (student, teacher, *condition) in records.items():
            pair = self.pairs[name]
            teacher = pair.teacher_side(teacher, student)
            condition = pair.condition_rows(condition, teacher.shape[0])
            if mode == 'discriminator':
                losses[f'loss_d_{name}'] = pair.discriminator_loss(
                    student, teacher, condition, labels, rows_per_image
                )
                continue
            student = pair.student_side(student)
            if adversarial is None or name in adversarial:
                losses[f'loss_g_{name}'] = pair.generator_loss(
                    student, condition, labels
                )
            if pair.match_weight > 0:
                losses[f'loss_match_{name}'] = pair.matching_loss(
                    student, teacher
                )
        return losses
