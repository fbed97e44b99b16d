from .cam import (
    cam_pooled,
    class_activation_map,
    grad_cam,
    normalize_cam,
)
from .labels import image_classes
from .memory_bank import FeatureBank
from .precision import at_least_fp32
from .rotation import (
    ROTATIONS,
    check_rotations,
    joint_labels,
    rotate_views,
    upright,
)
from .similarity import rotation_similarity, similarity_targets

__all__ = [
    'FeatureBank',
    'at_least_fp32',
    'cam_pooled',
    'class_activation_map',
    'grad_cam',
    'image_classes',
    'normalize_cam',
    'ROTATIONS',
    'check_rotations',
    'rotate_views',
    'joint_labels',
    'upright',
    'rotation_similarity',
    'similarity_targets',
]
