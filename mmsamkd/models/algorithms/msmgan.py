"""MS-MGANs: multi-stage teachers, layer-wise greedy GAN training, then KD."""

from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapperDict
from mmengine.runner.checkpoint import _load_checkpoint
from mmrazor.registry import MODELS
from torch import Tensor

from ...errors import CheckpointError, ConfigError
from ...utils.model_wrappers import unwrap_model
from ...utils.teacher_checkpoint import teacher_state_problem
from ..backbones.stage_view import stage_view
from ..losses import kl_divergence
from .samkd import SAMKD


def _state_dict(path, teacher):
    """The teacher weights of checkpoint ``path``, checked to fit."""
    checkpoint = _load_checkpoint(path, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint)
    problem = teacher_state_problem(teacher, state, path)
    if problem:
        raise CheckpointError(problem)
    return {k: state[k] for k in teacher.state_dict()}


@MODELS.register_module()
class MSMGAN(SAMKD):
    """Mutual-learning KD with multi-stage teachers and per-block GANs.

    Huang et al., "Mutual learning knowledge distillation with multi-stage
    teachers and generative adversarial networks" (MS-MGANs), Computer
    Science 49(10):169-175, 2022. Only its abstract is public; this is the
    reconstruction of ``docs/design.md`` and configs/msmgan/README.md,
    which lists every inferred choice. Training runs in phases, set by
    :class:`MSMGANPhaseHook` through :meth:`set_phase`:

    - **block phase b**: the student's block b (backbone stage b; block 0
      includes the stem) and its adapter (the connector of pair
      ``block<b>``) are trained against the discriminator of pair
      ``block<b>``, teacher block features real, adapted student features
      fake, plus the pair's optional L2 hint (``match_weight``). Every
      other student parameter stays as it is: its gradient is dropped
      before the step, so SGD neither moves it nor decays it.
    - **final phase**: the whole student, end to end, with the distiller's
      losses (CE + KD, T=4); no discriminator. With ``mutual=True`` the
      teacher is then fine-tuned by the reverse KD (it learns the
      student's softened outputs, T=4) with its own optimizer
      (``optim_wrapper.teacher``).

    Each phase names a teacher snapshot: the weights in
    ``teacher_snapshots[m]`` (checkpoints saved along the teacher's own
    training, e.g. by a ``*_snapshots`` teacher config) are loaded into
    the teacher when the phase's snapshot differs from the loaded one.
    The loaded index is a buffer, so a resumed run keeps its teacher
    (including a mutual fine-tuning) rather than reloading it.

    Args:
        teacher_snapshots (Sequence[str] | None): Checkpoints of the
            teacher, in the order the phases use them. ``teacher_ckpt``
            defaults to the first. None builds a model for evaluation only
            (``tools/test.py`` does): the checkpoint under test brings the
            teacher, and no phase can start.
        mutual (bool): Fine-tune the teacher in the final phase. Defaults
            to False.
        mutual_tau (float): Temperature of the reverse KD. Defaults to 4.
        **kwargs: :class:`SAMKD` arguments; the adversary's pairs must be
            ``block0`` ... ``block<B-1>``.
    """

    def __init__(
        self,
        teacher_snapshots: Optional[Sequence[str]],
        mutual: bool = False,
        mutual_tau: float = 4.0,
        teacher_ckpt: Optional[str] = None,
        **kwargs,
    ) -> None:
        if teacher_snapshots is not None and not teacher_snapshots:
            raise ConfigError('MSMGAN needs at least one teacher snapshot')
        if teacher_snapshots is not None:
            teacher_ckpt = teacher_ckpt or teacher_snapshots[0]
        super().__init__(teacher_ckpt=teacher_ckpt, **kwargs)
        teacher_snapshots = teacher_snapshots or []
        self.teacher_snapshots = list(teacher_snapshots)
        self._snapshot_states = [
            _state_dict(path, self.teacher) for path in teacher_snapshots
        ]
        blocks = sorted(self.adversarial_pairs)
        expected = [f'block{i}' for i in range(len(blocks))]
        if sorted(blocks) != sorted(expected):
            raise ConfigError(
                f'MSMGAN pairs must be named block0 .. block<B-1>, got '
                f'{blocks}'
            )
        num_stages = stage_view(self.student.backbone).num_stages
        if len(blocks) > num_stages:
            raise ConfigError(
                f'{len(blocks)} block pairs for a student with '
                f'{num_stages} stages'
            )
        self.num_blocks = len(blocks)
        self.mutual = mutual
        self.mutual_tau = mutual_tau
        if mutual:
            for param in self.teacher.parameters():
                param.requires_grad = True
        self.register_buffer('snapshot_index', torch.tensor(-1))
        self.block = None
        self.set_adversarial_weights({})

    # -- phases ------------------------------------------------------------
    def check_phase(
        self, block: int | None, snapshot: int, where: str = 'phase'
    ) -> None:
        """Refuse a phase of a block without a discriminator or of a
        snapshot not given (``where``: the phase, for the message)."""
        if block is not None and not 0 <= block < self.num_blocks:
            raise ConfigError(
                f'{where} block {block} is not one of the {self.num_blocks} '
                'blocks with a discriminator'
            )
        if not self._snapshot_states:
            raise ConfigError(
                'this MSMGAN was built without teacher_snapshots, for '
                'evaluation: training needs model.teacher_snapshots'
            )
        if not 0 <= snapshot < len(self._snapshot_states):
            raise ConfigError(
                f'{where} snapshot {snapshot} is not one of the '
                f'{len(self._snapshot_states)} teacher_snapshots'
            )

    def set_phase(self, block: int | None, snapshot: int) -> None:
        """Train block ``block`` (None: the final phase) under snapshot
        ``snapshot``, loading its weights if another one is loaded."""
        self.check_phase(block, snapshot)
        if int(self.snapshot_index) != snapshot:
            self.teacher.load_state_dict(self._snapshot_states[snapshot])
            self.snapshot_index.fill_(snapshot)
        self.block = block
        self.set_adversarial_weights(
            {} if block is None else {f'block{block}': 1.0}
        )

    def block_parameters(self, block: int) -> List[nn.Parameter]:
        """The student parameters trained in block phase ``block``."""
        backbone = stage_view(unwrap_model(self.student).backbone)
        modules = [backbone.stages[block]]
        if block == 0:
            modules.append(backbone.stem)
        return [p for m in modules for p in m.parameters()]

    # -- training ----------------------------------------------------------
    def train_step(
        self, data: dict, optim_wrapper: OptimWrapperDict
    ) -> Dict[str, Tensor]:
        extra = ('teacher',) if self.mutual else ()
        student_wrapper, adversary_wrapper = self._optim_wrappers(
            optim_wrapper, extra
        )
        with student_wrapper.optim_context(self.student):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        if self.block is None:
            loss, log_vars = self.parse_losses(losses)
            finite, log_vars = self._checked(log_vars)
            if finite:
                student_wrapper.update_params(loss)
            else:
                self._skip_update(student_wrapper, losses)
            if self.mutual:
                log_vars.update(self._mutual_step(data, optim_wrapper))
            return log_vars
        return self._block_step(losses, student_wrapper, adversary_wrapper)

    def _block_step(self, losses, student_wrapper, adversary_wrapper):
        name = f'block{self.block}'
        records = {name: self.pair_records(name)}
        adversary_log = self._update_discriminators(records, adversary_wrapper)
        with student_wrapper.optim_context(self.student):
            g_losses = self.adversary(records, mode='generator')
        g_losses = {f'adv.{k}': v for k, v in g_losses.items()}
        loss, log_vars = self.parse_losses(g_losses)
        # the distiller's losses are logged, not trained on, in block phases
        log_vars.update(
            {
                f'{k}_unused': v.detach()
                for k, v in losses.items()
                if 'loss' in k and torch.is_tensor(v)
            }
        )
        finite, log_vars = self._checked(log_vars)
        if not finite:
            self._skip_update(student_wrapper, g_losses)
            return log_vars
        # every student parameter takes part in the graph (DDP expects a
        # gradient for each); only the block's gradients are kept. This is
        # the wrapper's update_params opened up to drop the others before
        # its step, so its accumulative_counts holds here too
        student_params = list(self.student.parameters())
        loss = loss + 0 * sum(p.sum() for p in student_params)
        student_wrapper.backward(student_wrapper.scale_loss(loss))
        if student_wrapper.should_update():
            kept = {id(p) for p in self.block_parameters(self.block)}
            for param in student_params:
                if id(param) not in kept:
                    param.grad = None
            student_wrapper.step()
            student_wrapper.zero_grad()
        log_vars.update(adversary_log)
        return log_vars

    def _mutual_step(self, data, optim_wrapper):
        """The teacher learns the student's softened outputs (reverse KD)."""
        teacher_wrapper = optim_wrapper['teacher']
        inputs = data['inputs']
        with torch.no_grad():
            student_logits = self.student(inputs, mode='tensor')
        with teacher_wrapper.optim_context(self.teacher):
            teacher_logits = self.teacher(inputs, mode='tensor')
            loss = kl_divergence(
                teacher_logits, student_logits, self.mutual_tau
            )
        teacher_wrapper.update_params(loss)
        return {'mutual.loss_teacher': float(loss.detach())}
