"""Rotated views made in the data pipeline, each with its own augmentation.

SSKD (Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV
2020) rotates every training image by the four quarter turns and crops
each rotated copy at its own random offset (its dataset applies the crop
transform to each view separately). :class:`RotatedViews` does the same
inside an MMPretrain pipeline; ``ViewsDataPreprocessor`` then turns the
views of a batch into the image-major ``(N * K, C, H, W)`` tensor of
:mod:`mmsamkd.models.utils.rotation`.

The views of a sample travel as one ``(K, C, H, W)`` array, not as a list:
MMEngine's collate functions transpose nested lists (``pseudo_collate``
turns N lists of K views into K lists of N), so a list would reach the
model in an order that depends on the collate. An array is collated as
one item per sample by any collate.
"""

from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS

from ..errors import ConfigError
from ..models.utils.rotation import ROTATIONS, check_rotations


@TRANSFORMS.register_module()
class RotatedViews(BaseTransform):
    """Replace ``img`` by a list of its rotated views.

    View k is the image turned ``rotations[k]`` quarter turns counter-
    clockwise (as ``torch.rot90``, so the views equal those of
    :func:`~mmsamkd.models.utils.rotate_views`), then passed through
    ``transforms`` on its own, so random transforms draw anew per view.
    Put transforms every view must share (a flip) before this one.

    Args:
        transforms (list[dict]): Pipeline applied to each view.
        rotations (Sequence[int]): Quarter turns, 0 (upright) first; must
            match the model's ``rotations``. Defaults to ``(0, 1, 2, 3)``.
    """

    def __init__(
        self,
        transforms: Sequence[dict] = (),
        rotations: Sequence[int] = ROTATIONS,
    ) -> None:
        self.rotations = check_rotations(rotations)
        # built here, so that MMPretrain's transforms are found whatever
        # the default scope
        self.pipeline = Compose(
            [
                TRANSFORMS.build(t) if isinstance(t, dict) else t
                for t in transforms
            ]
        )

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.shape[0] != img.shape[1]:
            raise ConfigError(
                f'RotatedViews needs square images, got {img.shape[:2]}; '
                'crop or resize to a square before it'
            )
        views = []
        for k in self.rotations:
            view = dict(results, img=np.ascontiguousarray(np.rot90(img, k)))
            view = self.pipeline(view)['img']
            if view.ndim == 2:  # a grayscale image without channel axis
                view = view[..., None]
            views.append(view.transpose(2, 0, 1))  # HWC -> CHW
        shapes = {view.shape for view in views}
        if len(shapes) > 1:
            raise ConfigError(
                f'RotatedViews transforms gave views of shapes {shapes}; '
                'every view must have one size (crop to a fixed size)'
            )
        results['img'] = np.ascontiguousarray(np.stack(views))
        results['img_shape'] = views[0].shape[1:]
        return results

    def __repr__(self):
        return (
            f'{type(self).__name__}(rotations={self.rotations}, '
            f'transforms={self.pipeline})'
        )
