"""Discriminators (and connectors) of SAMKD, one per distilled output."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from ...errors import ConfigError
from ..losses import AdversarialLoss


def _pooled(x):
    """Feature maps ``(N, C, H, W)`` are judged by their global average."""
    return x.mean(dim=(2, 3)) if x.dim() == 4 else x


def _connector(in_channels, out_channels, spatial):
    """Linear map of the student's width to the teacher's: on pooled
    vectors, or a 1x1 convolution on maps."""
    if spatial:
        return dict(
            type='ConvModuleConnector',
            in_channel=in_channels,
            out_channel=out_channels,
            kernel_size=1,
            act_cfg=None,
        )
    return dict(
        type='LinearConnector',
        in_channels=in_channels,
        out_channels=out_channels,
    )


@MODELS.register_module()
class SAMKDAdversary(nn.Module):
    """One discriminator per adversarial pair; teacher real, student fake.

    A pair names a student and a teacher recorder of the distiller (pooled
    branch features, logits, or feature maps, which are globally
    average-pooled) and the widths on each side; where they differ, a
    :class:`LinearConnector` maps the student side. All learnable
    adversarial parts live here, called only through :meth:`forward`, so
    that the module can be wrapped by DDP (MMSeparateDistributedDataParallel
    wraps each child of the algorithm that has parameters).

    Pair options shape what a discriminator sees and what the student
    must match:

    - ``tau`` and ``views`` turn logits into a joint distribution: a
      softmax at temperature ``tau``, then the ``views`` rotated views of
      each image (image-major) concatenated into one vector, so that the
      discriminator judges the self-supervised joint distribution of an
      image, not one view at a time.
    - ``spatial=True`` keeps feature maps whole: the pair's discriminator
      (give it a :class:`PatchDiscriminator`) scores every position, and
      the connector is a 1x1 convolution (MMRazor's
      ``ConvModuleConnector``, linear). Teacher and student maps must have
      the same height and width.
    - ``frozen_connector=True`` fixes the connector at its random
      initialisation: a fixed projection that cannot absorb the game, so
      that only the student's own features move to fool the discriminator.
    - ``num_classes`` conditions the pair's discriminator on a label per
      row (a projection ``MLPDiscriminator``); :class:`SAMKD` passes the
      joint labels ``K * y + k`` of the rotated views.
    - ``rotation=dict(num_rotations=4, d_weight=1.0, g_weight=0.2)``
      plays the game of self-supervised GANs (Chen et al.,
      "Self-Supervised GANs via Auxiliary Rotation Loss", CVPR 2019): the
      pair's discriminator (an ``MLPDiscriminator``, built with a rotation
      head) also learns to tell at which rotation the teacher saw a row
      (``d_weight`` x cross-entropy, added to ``loss_d_<name>``), and the
      student is asked to make its own rows' rotations legible to that
      head (``g_weight`` x cross-entropy, added to ``loss_g_<name>``, so
      the stage weight scales both terms). Rows are the rotated views,
      image-major: row ``i`` was seen at rotation ``i % num_rotations``.
      The defaults are the paper's weights.
    - ``match_weight`` adds ``match_weight * MSE`` between the (connected)
      student side and the detached teacher side, the hint loss of FitNets
      (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015). It
      gives the connector a target of its own, so that it cannot simply
      absorb the adversarial game, and it is on in every stage.

    Args:
        pairs (dict): ``name -> dict(student=..., teacher=...,
            channels=int, student_channels=int (optional),
            discriminator=dict(...) (optional), tau=float (optional),
            views=int (optional, default 1), match_weight=float (optional,
            default 0), spatial=bool (optional, default False),
            frozen_connector=bool (optional, default False),
            num_classes=int (optional), rotation=dict (optional),
            condition=dict (optional))``.
            ``student`` / ``teacher`` are recorder names; ``channels`` the
            teacher's width before ``views`` grouping.
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
        self.pairs, self.views, self.taus, self.match_weights = {}, {}, {}, {}
        self.widths = {}
        self.spatial, self.conditional, self.rotation = {}, set(), {}
        # pair -> (teacher recorder, width) of its matching-aware condition
        self.conditions = {}
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
            spatial = bool(pair.get('spatial', False))
            views = int(pair.get('views', 1))
            if views < 1:
                raise ConfigError(
                    f'adversarial pair {name!r}: views must be at least 1, '
                    f'got {views}'
                )
            if spatial and (views > 1 or pair.get('tau')):
                raise ConfigError(
                    f'adversarial pair {name!r}: spatial pairs judge feature '
                    'maps; views and tau apply to logits only'
                )
            if student_channels != channels:
                self.connectors[name] = MODELS.build(
                    _connector(student_channels, channels, spatial)
                )
            if pair.get('frozen_connector', False):
                if name not in self.connectors:
                    raise ConfigError(
                        f'adversarial pair {name!r} sets frozen_connector '
                        'but has no connector (student_channels equals '
                        'channels): drop the option or give the widths'
                    )
                self.connectors[name].requires_grad_(False)
            disc_cfg = dict(pair.get('discriminator', discriminator))
            disc_cfg['in_channels'] = channels * views
            if pair.get('num_classes') is not None:
                if views > 1 or spatial:
                    raise ConfigError(
                        f'adversarial pair {name!r}: a conditional pair '
                        'judges one row per label (no views, not spatial)'
                    )
                disc_cfg['num_classes'] = int(pair['num_classes'])
                self.conditional.add(name)
            if pair.get('rotation') is not None:
                self.rotation[name] = self._check_rotation(name, pair)
                disc_cfg['num_rotations'] = self.rotation[name][
                    'num_rotations'
                ]
            if pair.get('condition') is not None:
                self.conditions[name] = self._check_condition(name, pair)
                disc_cfg['in_channels'] += self.conditions[name][1]
            self.discriminators[name] = MODELS.build(disc_cfg)
            self.pairs[name] = (pair['student'], pair['teacher'])
            self.widths[name] = (student_channels, channels)
            self.views[name] = views
            self.taus[name] = pair.get('tau')
            self.spatial[name] = spatial
            self.match_weights[name] = float(pair.get('match_weight', 0.0))
        self.loss = AdversarialLoss(gan_type)

    @staticmethod
    def _check_rotation(name, pair):
        rotation = dict(pair['rotation'])
        unknown = set(rotation) - {'num_rotations', 'd_weight', 'g_weight'}
        if unknown:
            raise ConfigError(
                f'adversarial pair {name!r}: rotation takes num_rotations, '
                f'd_weight and g_weight, got {sorted(unknown)}'
            )
        if int(pair.get('views', 1)) > 1 or pair.get('spatial', False):
            raise ConfigError(
                f'adversarial pair {name!r}: a rotation pair judges one row '
                'per rotated view (no views, not spatial)'
            )
        if pair.get('num_classes') is not None:
            raise ConfigError(
                f'adversarial pair {name!r}: rotation and num_classes do '
                'not combine; choose one'
            )
        rotation = dict(
            dict(num_rotations=4, d_weight=1.0, g_weight=0.2), **rotation
        )
        if rotation['num_rotations'] < 2:
            raise ConfigError(
                f'adversarial pair {name!r}: rotation needs '
                f'num_rotations >= 2, got {rotation["num_rotations"]}'
            )
        return rotation

    @staticmethod
    def _check_condition(name, pair):
        condition = dict(pair['condition'])
        if set(condition) != {'teacher', 'channels'}:
            raise ConfigError(
                f'adversarial pair {name!r}: condition takes teacher (a '
                'teacher recorder) and channels (its width), got '
                f'{sorted(condition)}: e.g. '
                "condition=dict(teacher='stage0', channels=16)"
            )
        clashes = [
            option
            for option, on in (
                ('views', int(pair.get('views', 1)) > 1),
                ('spatial', pair.get('spatial', False)),
                ('num_classes', pair.get('num_classes') is not None),
                ('rotation', pair.get('rotation') is not None),
            )
            if on
        ]
        if clashes:
            raise ConfigError(
                f'adversarial pair {name!r}: a matching-aware pair '
                '(condition) scores one pooled row per view and does not '
                f'combine with {clashes}'
            )
        return condition['teacher'], int(condition['channels'])

    def check_widths(self, records):
        """Refuse pairs whose recorded outputs are not as wide as the pair
        says; the first wrong width otherwise surfaces as a matmul error
        when that pair's stage begins, epochs into the run.

        Args:
            records (dict): ``name -> (student, teacher)`` tensors of every
                pair, as recorded (rows first, channels second), with the
                condition third for matching-aware pairs.
        """
        for name, (student, teacher, *condition) in records.items():
            student_recorder, teacher_recorder = self.pairs[name]
            student_channels, channels = self.widths[name]
            # the teacher first: a pair without student_channels takes
            # channels for both sides, and channels is then the fix
            sides = [
                ('teacher', 'channels', teacher_recorder, channels, teacher),
                (
                    'student',
                    'student_channels',
                    student_recorder,
                    student_channels,
                    student,
                ),
            ]
            if name in self.conditions:
                recorder, width = self.conditions[name]
                sides.append(
                    (
                        'condition',
                        'condition.channels',
                        recorder,
                        width,
                        condition[0],
                    )
                )
            for side, key, recorder, expected, x in sides:
                width = x.shape[1] if x.dim() > 1 else 1
                if width != expected:
                    raise ConfigError(
                        f'adversarial pair {name!r}: the {side} recorder '
                        f'{recorder!r} gives {width} channels, but the pair '
                        f'says {key}={expected}: set {key}={width}'
                    )

    def matched_pairs(self):
        """Names of the pairs with a feature-matching term."""
        return [n for n, w in self.match_weights.items() if w > 0]

    def _student_side(self, name, student):
        if not self.spatial[name]:
            student = _pooled(student).flatten(1)
        if name in self.connectors:
            return self.connectors[name](student)
        return student

    def _teacher_side(self, name, teacher, student):
        """The detached teacher output, pooled unless the pair is spatial
        (whose maps must then match the student's in size)."""
        teacher = teacher.detach()
        if not self.spatial[name]:
            return _pooled(teacher).flatten(1)
        if teacher.dim() != 4 or teacher.shape[2:] != student.shape[2:]:
            raise ValueError(
                f'spatial adversarial pair {name!r} needs teacher and '
                'student maps (N, C, H, W) of one size, got '
                f'{tuple(teacher.shape)} and {tuple(student.shape)}'
            )
        return teacher

    def _judged(self, name, x):
        """What the discriminator of ``name`` scores, from ``(M, C)``."""
        if self.taus[name]:
            x = F.softmax(x / self.taus[name], dim=1)
        views = self.views[name]
        if views > 1:
            if x.shape[0] % views:
                raise ValueError(
                    f'adversarial pair {name!r} groups {views} views per '
                    f'image but got {x.shape[0]} rows; its recorder must '
                    'see all rotated views (views = number of rotations)'
                )
            x = x.reshape(x.shape[0] // views, -1)
        return x

    def _score(self, name, x, labels, condition=None):
        disc = self.discriminators[name]
        if condition is not None:
            return disc(torch.cat([condition, x], dim=1))
        if name not in self.conditional:
            return disc(x)
        if labels is None or labels.shape[0] != x.shape[0]:
            raise ValueError(
                f'conditional adversarial pair {name!r} needs a label per '
                f'row: {x.shape[0]} rows, labels '
                f'{None if labels is None else tuple(labels.shape)}'
            )
        return disc(x, labels)

    def _rotation_loss(self, name, x, weight_key):
        """Weighted cross-entropy of the rotation head of ``name`` on the
        rows ``x`` (image-major rotated views); 0 for other pairs."""
        if name not in self.rotation:
            return 0.0
        rotation = self.rotation[name]
        views = rotation['num_rotations']
        if x.shape[0] % views:
            raise ValueError(
                f'rotation pair {name!r} expects {views} rotated views per '
                f'image but got {x.shape[0]} rows; its recorders must see '
                'all rotated views'
            )
        targets = torch.arange(x.shape[0], device=x.device) % views
        logits = self.discriminators[name].rotation_logits(x)
        return rotation[weight_key] * F.cross_entropy(logits, targets)

    def _condition(self, name, record, rows):
        """The pooled, detached condition of a matching-aware pair, one
        row per judged row; None for other pairs."""
        if name not in self.conditions:
            return None
        if not record:
            raise ValueError(
                f'matching-aware adversarial pair {name!r} needs its '
                f'condition record ({self.conditions[name][0]!r}) after '
                'student and teacher'
            )
        condition = _pooled(record[0].detach()).flatten(1)
        if condition.shape[0] != rows:
            raise ValueError(
                f'matching-aware adversarial pair {name!r}: the condition '
                f'has {condition.shape[0]} rows, the pair {rows}; its '
                'recorder must see the same views'
            )
        return condition

    def forward(
        self,
        records,
        mode='generator',
        adversarial=None,
        labels=None,
        rows_per_image=1,
    ):
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
            teacher = self._teacher_side(name, teacher, student)
            condition = self._condition(name, condition, teacher.shape[0])
            if mode == 'discriminator':
                # detach explicitly: flatten(1) of a 2-D tensor is the
                # tensor itself, still attached to the student's graph
                with torch.no_grad():
                    fake = self._student_side(name, student.detach())
                real = self._judged(name, teacher)
                fake_scores = self._score(
                    name, self._judged(name, fake), labels, condition
                )
                if condition is not None:
                    # a real output of the wrong image is fake too; the two
                    # kinds of fake are averaged in one mean
                    rows = mismatched_rows(
                        real.shape[0], rows_per_image, real.device, name
                    )
                    fake_scores = torch.cat(
                        [
                            fake_scores,
                            self._score(name, real[rows], None, condition),
                        ]
                    )
                losses[f'loss_d_{name}'] = self.loss.discriminator(
                    self._score(name, real, labels, condition), fake_scores
                ) + self._rotation_loss(name, real, 'd_weight')
                continue
            student = self._student_side(name, student)
            if adversarial is None or name in adversarial:
                judged = self._judged(name, student)
                losses[f'loss_g_{name}'] = self.loss(
                    self._score(name, judged, labels, condition)
                ) + self._rotation_loss(name, judged, 'g_weight')
            if self.match_weights[name] > 0:
                losses[f'loss_match_{name}'] = self.match_weights[
                    name
                ] * F.mse_loss(student, teacher)
        return losses


def mismatched_rows(rows, rows_per_image, device=None, name='?'):
    """Row indices that give every row the same view of another image.

    The rows are ``rows // rows_per_image`` images, image-major; images are
    shifted by one shift drawn uniformly from ``1 .. images - 1`` (from
    torch's generator of ``device``), so no row keeps its own image and
    the view index is kept. The draw stays on the device: no host read.

    Args:
        rows (int): Rows of the batch.
        rows_per_image (int): Consecutive rows per image.
        device (torch.device, optional): Where the indices live.
        name (str): The pair, for the error.

    Returns:
        Tensor: ``(rows,)`` long indices, a permutation.
    """
    images = rows // rows_per_image if rows_per_image > 0 else 0
    if images < 2 or images * rows_per_image != rows:
        raise ValueError(
            f'matching-aware adversarial pair {name!r} needs at least two '
            f'images of {rows_per_image} rows each to mismatch, got {rows} '
            'rows'
        )
    shift = torch.randint(1, images, (1,), device=device) * rows_per_image
    return (torch.arange(rows, device=device) + shift) % rows
