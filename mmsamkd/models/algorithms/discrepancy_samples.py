"""Inputs moved to where the student disagrees most with its teacher.

The adversarial-sample side of adversarial distillation: a one-step
(FGSM, Goodfellow et al., ICLR 2015) perturbation of each image that
raises the student's divergence from the teacher, on which the student then
learns the teacher's outputs too. Heo et al., "Knowledge Distillation with
Adversarial Samples Supporting Decision Boundary", AAAI 2019, and Rashid et
al., "MATE-KD", ACL 2021, distil on such samples; here the divergence is
HSAKD's self-supervised one, summed over the final logits and every
branch's joint logits of the rotated views, so the samples are chosen on
the multi-scale joint distributions (SAMKD's reading of "self-supervised
adversarial learning"; see configs/samkd/README.md).
"""

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ..losses.kl_divergence import kl_divergence
from ..utils.rotation import rotate_views


@contextmanager
def frozen_norm_statistics(model: nn.Module) -> Iterator[None]:
    """Batch norm normalises by the batch but keeps its running statistics.

    The perturbed images are not the images the student is evaluated on,
    so they must not move the statistics that evaluation uses.
    """
    norms = [
        m
        for m in model.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    saved = [(m, m.momentum, m.num_batches_tracked.clone()) for m in norms]
    try:
        for m in norms:
            m.momentum = 0.0
        yield
    finally:
        for m, momentum, tracked in saved:
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def joint_divergence(
    teacher: nn.Module, student: nn.Module, inputs: Tensor, tau: float
) -> Tensor:
    """HSAKD's KL(T=tau) summed over logits and branches of rotated views.

    Args:
        teacher, student: :class:`SelfSupervisedClassifier` s with the same
            rotations and branch count (not DDP-wrapped).
        inputs (Tensor): ``(N, C, H, W)`` upright images.
        tau (float): Temperature.

    Returns:
        Tensor: the sum over the final logits and each branch of
        ``KL(p_t || p_s) * tau**2`` (batch mean over the ``N * K`` views);
        the teacher side carries no gradient.
    """
    with torch.no_grad():
        t_logits, t_branches = teacher.forward_views(
            rotate_views(inputs, teacher.rotations)
        )
    s_logits, s_branches = student.forward_views(
        rotate_views(inputs, student.rotations)
    )
    pairs = zip((s_logits, *s_branches), (t_logits, *t_branches))
    return sum(kl_divergence(s, t, tau) for s, t in pairs)


def discrepancy_samples(
    teacher: nn.Module,
    student: nn.Module,
    inputs: Tensor,
    epsilon: float,
    tau: float,
) -> Tensor:
    """One signed-gradient step of size ``epsilon`` up the joint divergence.

    The gradient reaches the inputs through the student only (the teacher's
    distributions are the fixed target), and the student's batch-norm
    statistics do not move. Returns detached images.
    """
    images = inputs.detach().requires_grad_(True)
    with frozen_norm_statistics(student):
        divergence = joint_divergence(teacher, student, images, tau)
    (grad,) = torch.autograd.grad(divergence, images)
    return (images + epsilon * grad.sign()).detach()
