"""Discriminators (and connectors) of SAMKD, one per distilled output."""

import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from ...errors import ConfigError
from ..losses import AdversarialLoss


@MODELS.register_module()
class SAMKDAdversary(nn.Module):
    """One discriminator per adversarial pair; teacher real, student fake.

    A pair names a student and a teacher recorder of the distiller (pooled
    branch features or logits) and the widths on each side; where they
    differ, a :class:`LinearConnector` maps the student side. All learnable
    adversarial parts live here, called only through :meth:`forward`, so
    that the module can be wrapped by DDP (MMSeparateDistributedDataParallel
    wraps each child of the algorithm that has parameters).

    Args:
        pairs (dict): ``name -> dict(student=..., teacher=...,
            channels=int, student_channels=int (optional),
            discriminator=dict(...) (optional))``. ``student`` / ``teacher``
            are recorder names; ``channels`` the teacher's width.
        discriminator (dict): Default discriminator config; ``in_channels``
            is filled in. Defaults to an ``MLPDiscriminator``.
        gan_type (str): ``'bce'``, ``'lsgan'`` or ``'hinge'``. Defaults to
            ``'bce'``.
    """

    def __init__(self, pairs, discriminator=None, gan_type='bce'):
        super().__init__()
        if not pairs:
            raise ConfigError('SAMKDAdversary needs at least one pair')
        discriminator = discriminator or dict(type='MLPDiscriminator')
        self.pairs = {}
        self.connectors = nn.ModuleDict()
        self.discriminators = nn.ModuleDict()
        for name, pair in pairs.items():
            pair = dict(pair)
            missing = {'student', 'teacher', 'channels'} - set(pair)
            if missing:
                raise ConfigError(
                    f'adversarial pair {name!r} lacks {sorted(missing)}: '
                    'each pair names its student and teacher recorders and '
                    "the teacher's width (channels)"
                )
            channels = pair['channels']
            student_channels = pair.get('student_channels', channels)
            if student_channels != channels:
                self.connectors[name] = MODELS.build(
                    dict(
                        type='LinearConnector',
                        in_channels=student_channels,
                        out_channels=channels,
                    )
                )
            disc_cfg = dict(pair.get('discriminator', discriminator))
            disc_cfg['in_channels'] = channels
            self.discriminators[name] = MODELS.build(disc_cfg)
            self.pairs[name] = (pair['student'], pair['teacher'])
        self.loss = AdversarialLoss(gan_type)

    def _student_side(self, name, student):
        if name in self.connectors:
            return self.connectors[name](student)
        return student.flatten(1)

    def forward(self, records, mode='generator'):
        """Losses of the pairs in ``records``, in one call.

        Args:
            records (dict): ``name -> (student, teacher)`` tensors.
            mode (str): ``'discriminator'``: each discriminator's loss on
                the teacher output (real) and the detached student output
                (fake), which reaches neither student nor connector.
                ``'generator'``: the student's loss for being told apart,
                through the connector (unweighted).

        Returns:
            dict: ``name -> loss``. One forward per step keeps DDP (which
            expects one backward per forward) happy.
        """
        if mode not in ('generator', 'discriminator'):
            raise ValueError(
                f'mode must be generator or discriminator, got {mode!r}'
            )
        losses = {}
        for name, (student, teacher) in records.items():
            disc = self.discriminators[name]
            if mode == 'generator':
                losses[name] = self.loss(
                    disc(self._student_side(name, student))
                )
                continue
            # detach explicitly: flatten(1) of a 2-D tensor is the tensor
            # itself, still attached to the student's graph
            with torch.no_grad():
                fake = self._student_side(name, student.detach())
            losses[name] = self.loss.discriminator(
                disc(teacher.detach().flatten(1)), disc(fake)
            )
        return losses
