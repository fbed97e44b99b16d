"""One adversarial pair of SAMKD: its connector, discriminator and losses."""

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import ConfigError
from ..losses import AdversarialLoss

REQUIRED = ('student', 'teacher', 'channels')
OPTIONS = (
    'student_channels',
    'discriminator',
    'tau',
    'views',
    'match_weight',
    'spatial',
    'frozen_connector',
    'num_classes',
    'rotation',
    'condition',
)


def pooled(x: Tensor) -> Tensor:
    """Feature maps ``(N, C, H, W)`` are judged by their global average."""
    return x.mean(dim=(2, 3)) if x.dim() == 4 else x


def connector_cfg(in_channels: int, out_channels: int, spatial: bool) -> dict:
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


def check_pair_keys(name: str, pair: dict) -> None:
    """Refuse a pair config that lacks a required key or names an unknown
    option (a misspelt option would otherwise be dropped unnoticed)."""
    missing = set(REQUIRED) - set(pair)
    if missing:
        raise ConfigError(
            f'adversarial pair {name!r} lacks {sorted(missing)}: each pair '
            "names its student and teacher recorders and the teacher's "
            'width (channels; SAMKD reads it from the layer the teacher '
            'recorder records when that is a Linear or Conv2d)'
        )
    unknown = set(pair) - set(REQUIRED) - set(OPTIONS) - {'type'}
    if unknown:
        raise ConfigError(
            f'adversarial pair {name!r} has unknown options {sorted(unknown)}'
            f'; a pair takes {sorted(REQUIRED + OPTIONS)}'
        )


@MODELS.register_module()
class AdversarialPair(nn.Module):
    """A discriminator that tells a teacher output (real) from the
    student's (fake), with the connector that maps the student's width to
    the teacher's and the options of the pair.

    The pair names a student and a teacher recorder of the distiller
    (pooled branch features, logits, or feature maps, which are globally
    average-pooled) and the widths on each side; where they differ, a
    :class:`LinearConnector` maps the student side. The options shape what
    the discriminator sees and what the student must match:

    - ``tau`` and ``views`` turn logits into a joint distribution: a
      softmax at temperature ``tau``, then the ``views`` rotated views of
      each image (image-major) concatenated into one vector, so that the
      discriminator judges the self-supervised joint distribution of an
      image, not one view at a time.
    - ``spatial=True`` keeps feature maps whole: the discriminator (give
      it a :class:`PatchDiscriminator`) scores every position, and the
      connector is a 1x1 convolution (MMRazor's ``ConvModuleConnector``,
      linear). Teacher and student maps must have the same height and
      width.
    - ``frozen_connector=True`` fixes the connector at its random
      initialisation: a fixed projection that cannot absorb the game, so
      that only the student's own features move to fool the discriminator.
    - ``num_classes`` conditions the discriminator on a label per row (a
      projection ``MLPDiscriminator``); :class:`SAMKD` passes the joint
      labels ``K * y + k`` of the rotated views.
    - ``rotation=dict(num_rotations=4, d_weight=1.0, g_weight=0.2)`` plays
      the game of self-supervised GANs (Chen et al., "Self-Supervised GANs
      via Auxiliary Rotation Loss", CVPR 2019): the discriminator (an
      ``MLPDiscriminator``, built with a rotation head) also learns to tell
      at which rotation the teacher saw a row (``d_weight`` x
      cross-entropy, added to the discriminator loss), and the student is
      asked to make its own rows' rotations legible to that head
      (``g_weight`` x cross-entropy, added to the generator loss, so the
      stage weight scales both terms). Rows are the rotated views,
      image-major: row ``i`` was seen at rotation ``i % num_rotations``.
      The defaults are the paper's weights.
    - ``match_weight`` adds ``match_weight * MSE`` between the (connected)
      student side and the detached teacher side, the hint loss of FitNets
      (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015). It
      gives the connector a target of its own, so that it cannot simply
      absorb the adversarial game, and it is on in every stage.
    - ``condition=dict(teacher=<teacher recorder>, channels=int)`` makes
      the discriminator matching-aware (Reed et al., "Generative
      Adversarial Text to Image Synthesis", ICML 2016): it scores a row
      together with a condition that identifies the image, the pooled
      teacher output of that recorder (a shallower scale of the same
      view). Real is (condition_i, teacher_i); fake is
      (condition_i, student_i) and also (condition_i, teacher_j), the
      teacher row of another image of the batch at the same rotated view
      (:func:`mismatched_rows`), so that only the teacher's own mapping
      from the shallower scale to this one passes, per image. The fake
      term averages the two kinds of fake, as in Reed et al.'s GAN-CLS.

    Args:
        name (str): The pair's name, for errors and logs.
        student (str): The student recorder.
        teacher (str): The teacher recorder.
        channels (int): The teacher's width, before ``views`` grouping.
        student_channels (int, optional): The student's width. Defaults to
            ``channels``.
        discriminator (dict): Discriminator config; ``in_channels`` (and
            ``num_classes``, ``num_rotations``) are filled in. Defaults to
            an ``MLPDiscriminator``.
        gan_type (str): ``'bce'``, ``'lsgan'`` or ``'hinge'``.
        tau (float, optional), views (int), match_weight (float),
        spatial (bool), frozen_connector (bool), num_classes (int,
        optional), rotation (dict, optional), condition (dict, optional):
            The options above.
    """

    def __init__(
        self,
        name: str,
        student: str,
        teacher: str,
        channels: int,
        student_channels: int | None = None,
        discriminator: dict | None = None,
        gan_type: str = 'bce',
        tau: float | None = None,
        views: int = 1,
        match_weight: float = 0.0,
        spatial: bool = False,
        frozen_connector: bool = False,
        num_classes: int | None = None,
        rotation: dict | None = None,
        condition: dict | None = None,
    ) -> None:
        super().__init__()
        self.name, self.student, self.teacher = name, student, teacher
        if student_channels is None:
            student_channels = channels
        self.widths = (student_channels, channels)
        self.spatial, self.views, self.tau = bool(spatial), int(views), tau
        self.match_weight = float(match_weight)
        if self.views < 1:
            raise ConfigError(
                f'adversarial pair {name!r}: views must be at least 1, got '
                f'{views}'
            )
        if self.spatial and (self.views > 1 or tau):
            raise ConfigError(
                f'adversarial pair {name!r}: spatial pairs judge feature '
                'maps; views and tau apply to logits only'
            )
        self.connector = None
        if student_channels != channels:
            self.connector = MODELS.build(
                connector_cfg(student_channels, channels, self.spatial)
            )
        if frozen_connector:
            if self.connector is None:
                raise ConfigError(
                    f'adversarial pair {name!r} sets frozen_connector but '
                    'has no connector (student_channels equals channels): '
                    'drop the option or give the widths'
                )
            self.connector.requires_grad_(False)
        disc_cfg = dict(discriminator or dict(type='MLPDiscriminator'))
        disc_cfg['in_channels'] = channels * self.views
        self.conditional = num_classes is not None
        if self.conditional:
            if self.views > 1 or self.spatial:
                raise ConfigError(
                    f'adversarial pair {name!r}: a conditional pair judges '
                    'one row per label (no views, not spatial)'
                )
            disc_cfg['num_classes'] = int(num_classes)
        self.rotation = None
        if rotation is not None:
            self.rotation = self._check_rotation(rotation)
            disc_cfg['num_rotations'] = self.rotation['num_rotations']
        # (teacher recorder, width) of a matching-aware pair's condition
        self.condition = None
        if condition is not None:
            self.condition = self._check_condition(condition)
            disc_cfg['in_channels'] += self.condition[1]
        self.discriminator = MODELS.build(disc_cfg)
        self.loss = AdversarialLoss(gan_type)

    def _check_rotation(self, rotation):
        rotation = dict(rotation)
        unknown = set(rotation) - {'num_rotations', 'd_weight', 'g_weight'}
        if unknown:
            raise ConfigError(
                f'adversarial pair {self.name!r}: rotation takes '
                f'num_rotations, d_weight and g_weight, got {sorted(unknown)}'
            )
        if self.views > 1 or self.spatial:
            raise ConfigError(
                f'adversarial pair {self.name!r}: a rotation pair judges one '
                'row per rotated view (no views, not spatial)'
            )
        if self.conditional:
            raise ConfigError(
                f'adversarial pair {self.name!r}: rotation and num_classes '
                'do not combine; choose one'
            )
        rotation = dict(
            dict(num_rotations=4, d_weight=1.0, g_weight=0.2), **rotation
        )
        if rotation['num_rotations'] < 2:
            raise ConfigError(
                f'adversarial pair {self.name!r}: rotation needs '
                f'num_rotations >= 2, got {rotation["num_rotations"]}'
            )
        return rotation

    def _check_condition(self, condition):
        condition = dict(condition)
        if set(condition) != {'teacher', 'channels'}:
            raise ConfigError(
                f'adversarial pair {self.name!r}: condition takes teacher (a '
                'teacher recorder) and channels (its width), got '
                f'{sorted(condition)}: e.g. '
                "condition=dict(teacher='stage0', channels=16)"
            )
        clashes = [
            option
            for option, on in (
                ('views', self.views > 1),
                ('spatial', self.spatial),
                ('num_classes', self.conditional),
                ('rotation', self.rotation is not None),
            )
            if on
        ]
        if clashes:
            raise ConfigError(
                f'adversarial pair {self.name!r}: a matching-aware pair '
                '(condition) scores one pooled row per view and does not '
                f'combine with {clashes}'
            )
        return condition['teacher'], int(condition['channels'])

    def check_widths(
        self, student: Tensor, teacher: Tensor, condition: Tensor | None = None
    ) -> None:
        """Refuse recorded outputs that are not as wide as the pair says;
        the first wrong width otherwise surfaces as a matmul error when the
        pair's stage begins, epochs into the run."""
        student_channels, channels = self.widths
        # the teacher first: a pair without student_channels takes
        # channels for both sides, and channels is then the fix
        sides = [
            ('teacher', 'channels', self.teacher, channels, teacher),
            (
                'student',
                'student_channels',
                self.student,
                student_channels,
                student,
            ),
        ]
        if self.condition is not None:
            recorder, width = self.condition
            sides.append(
                ('condition', 'condition.channels', recorder, width, condition)
            )
        for side, key, recorder, expected, x in sides:
            width = x.shape[1] if x.dim() > 1 else 1
            if width != expected:
                raise ConfigError(
                    f'adversarial pair {self.name!r}: the {side} recorder '
                    f'{recorder!r} gives {width} channels, but the pair '
                    f'says {key}={expected}: set {key}={width}'
                )

    def student_side(self, student: Tensor) -> Tensor:
        """The student output as judged: pooled unless spatial, through the
        connector where the widths differ."""
        if not self.spatial:
            student = pooled(student).flatten(1)
        if self.connector is not None:
            return self.connector(student)
        return student

    def teacher_side(self, teacher: Tensor, student: Tensor) -> Tensor:
        """The detached teacher output, pooled unless the pair is spatial
        (whose maps must then match the student's in size)."""
        teacher = teacher.detach()
        if not self.spatial:
            return pooled(teacher).flatten(1)
        if teacher.dim() != 4 or teacher.shape[2:] != student.shape[2:]:
            raise ConfigError(
                f'spatial adversarial pair {self.name!r} needs teacher and '
                'student maps (N, C, H, W) of one size, got '
                f'{tuple(teacher.shape)} and {tuple(student.shape)}'
            )
        return teacher

    def condition_rows(self, record: list, rows: int) -> Tensor | None:
        """The pooled, detached condition, one row per judged row, from
        the records after student and teacher; None for a pair without
        a condition."""
        if self.condition is None:
            return None
        if not record:
            raise ConfigError(
                f'matching-aware adversarial pair {self.name!r} needs its '
                f'condition record ({self.condition[0]!r}) after student '
                'and teacher'
            )
        condition = pooled(record[0].detach()).flatten(1)
        if condition.shape[0] != rows:
            raise ConfigError(
                f'matching-aware adversarial pair {self.name!r}: the '
                f'condition has {condition.shape[0]} rows, the pair {rows}; '
                'its recorder must see the same views'
            )
        return condition

    def _judged(self, x):
        """What the discriminator scores, from ``(M, C)`` rows."""
        if self.tau:
            x = F.softmax(x / self.tau, dim=1)
        if self.views > 1:
            if x.shape[0] % self.views:
                raise ConfigError(
                    f'adversarial pair {self.name!r} groups {self.views} '
                    f'views per image but got {x.shape[0]} rows; its '
                    'recorder must see all rotated views (views = number of '
                    'rotations)'
                )
            x = x.reshape(x.shape[0] // self.views, -1)
        return x

    def score(
        self,
        x: Tensor,
        labels: Tensor | None = None,
        condition: Tensor | None = None,
    ) -> Tensor:
        """Raw discriminator scores of the judged rows ``x`` (with their
        labels or condition where the pair takes one)."""
        if condition is not None:
            return self.discriminator(torch.cat([condition, x], dim=1))
        if not self.conditional:
            return self.discriminator(x)
        if labels is None or labels.shape[0] != x.shape[0]:
            raise ConfigError(
                f'conditional adversarial pair {self.name!r} needs a label '
                f'per row: {x.shape[0]} rows, labels '
                f'{None if labels is None else tuple(labels.shape)}'
            )
        return self.discriminator(x, labels)

    def _rotation_loss(self, x, weight_key):
        """Weighted cross-entropy of the rotation head on the rows ``x``
        (image-major rotated views); 0 without a rotation head."""
        if self.rotation is None:
            return 0.0
        views = self.rotation['num_rotations']
        if x.shape[0] % views:
            raise ConfigError(
                f'rotation pair {self.name!r} expects {views} rotated views '
                f'per image but got {x.shape[0]} rows; its recorders must '
                'see all rotated views'
            )
        targets = torch.arange(x.shape[0], device=x.device) % views
        logits = self.discriminator.rotation_logits(x)
        return self.rotation[weight_key] * F.cross_entropy(logits, targets)

    def discriminator_loss(
        self,
        student: Tensor,
        teacher: Tensor,
        condition: Tensor | None = None,
        labels: Tensor | None = None,
        rows_per_image: int = 1,
    ) -> Tensor:
        """The discriminator's loss on the teacher side (real) and the
        detached student output (fake), which reaches neither student nor
        connector; ``teacher`` and ``condition`` as :meth:`teacher_side`
        and :meth:`condition_rows` give them."""
        # detach explicitly: flatten(1) of a 2-D tensor is the tensor
        # itself, still attached to the student's graph
        with torch.no_grad():
            fake = self.student_side(student.detach())
        real = self._judged(teacher)
        fake_scores = self.score(self._judged(fake), labels, condition)
        if condition is not None:
            # a real output of the wrong image is fake too; the two kinds
            # of fake are averaged in one mean
            rows = mismatched_rows(
                real.shape[0], rows_per_image, real.device, self.name
            )
            fake_scores = torch.cat(
                [fake_scores, self.score(real[rows], labels, condition)]
            )
        return self.loss.discriminator(
            self.score(real, labels, condition), fake_scores
        ) + self._rotation_loss(real, 'd_weight')

    def generator_loss(
        self,
        student: Tensor,
        condition: Tensor | None = None,
        labels: Tensor | None = None,
    ) -> Tensor:
        """The student's loss for being told apart (unweighted), from its
        connected side (:meth:`student_side`)."""
        judged = self._judged(student)
        return self.loss(
            self.score(judged, labels, condition)
        ) + self._rotation_loss(judged, 'g_weight')

    def matching_loss(self, student: Tensor, teacher: Tensor) -> Tensor:
        """``match_weight`` x MSE of the connected student side to the
        teacher side."""
        return self.match_weight * F.mse_loss(student, teacher)


def mismatched_rows(
    rows: int,
    rows_per_image: int,
    device: Optional[torch.device] = None,
    name: str = '?',
) -> Tensor:
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
        raise ConfigError(
            f'matching-aware adversarial pair {name!r} needs at least two '
            f'images of {rows_per_image} rows each to mismatch, got {rows} '
            'rows'
        )
    shift = torch.randint(1, images, (1,), device=device) * rows_per_image
    return (torch.arange(rows, device=device) + shift) % rows
