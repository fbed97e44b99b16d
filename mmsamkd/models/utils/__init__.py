from .rotation import (
    ROTATIONS,
    check_rotations,
    joint_labels,
    rotate_views,
    upright,
)
from .similarity import rotation_similarity, similarity_targets

__all__ = [
    'ROTATIONS',
    'check_rotations',
    'rotate_views',
    'joint_labels',
    'upright',
    'rotation_similarity',
    'similarity_targets',
]
