"""Class activation maps of the ground-truth class (ICAKD).

Zhou et al., "Learning Deep Features for Discriminative Localization",
CVPR 2016 (CAM); Selvaraju et al., "Grad-CAM", ICCV 2017. For a network
that ends in global average pooling and a linear classifier, the Grad-CAM
of class c on the last feature map A is ``relu(sum_k w[c, k] A_k) / (H W)``:
the CAM up to a positive scale, which the spatial L2 normalisation of
ICAKD removes. :func:`class_activation_map` computes it from the weights;
:func:`grad_cam` by autograd, for any head.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def class_activation_map(
    feature_map: Tensor, fc_weight: Tensor, labels: Tensor
) -> Tensor:
    """``relu(sum_k w[y, k] A_k)``: ``(N, H, W)`` for ``(N, C, H, W)``
    maps, the ``(num_classes, C)`` classifier weight and labels ``(N,)``."""
    weights = fc_weight[labels]  # (N, C)
    return F.relu(torch.einsum('nc,nchw->nhw', weights, feature_map))


def grad_cam(
    scores: Tensor,
    feature_map: Tensor,
    labels: Tensor,
    create_graph: bool = False,
) -> Tensor:
    """Grad-CAM of each image's class ``labels`` on ``feature_map``.

    ``scores`` must be computed from ``feature_map`` in the autograd graph.
    The channel weights are the spatial means of the gradient of the
    class score; the map is ``relu(sum_k alpha_k A_k)``, ``(N, H, W)``.
    """
    picked = scores.gather(1, labels[:, None]).sum()
    (grads,) = torch.autograd.grad(
        picked, feature_map, create_graph=create_graph
    )
    alpha = grads.mean(dim=(2, 3))
    return F.relu(torch.einsum('nc,nchw->nhw', alpha, feature_map))


def normalize_cam(cam: Tensor, eps: float = 1e-12) -> Tensor:
    """Each ``(H, W)`` map divided by its L2 norm (flattened)."""
    flat = cam.flatten(1)
    return F.normalize(flat, dim=1, eps=eps).view_as(cam)


def cam_pooled(feature_map: Tensor, cam: Tensor, eps: float = 1e-12) -> Tensor:
    """Features averaged over positions, weighted by the CAM: ``(N, C)``.

    Weights are the CAM divided by its spatial sum; an all-zero CAM (no
    position supports the class) falls back to plain average pooling.
    """
    weights = cam.flatten(1)
    total = weights.sum(dim=1, keepdim=True)
    uniform = torch.full_like(weights, 1.0 / weights.shape[1])
    weights = torch.where(total > eps, weights / total.clamp_min(eps), uniform)
    return torch.einsum('nk,nck->nc', weights, feature_map.flatten(2))
