from .rotation import (
    ROTATIONS,
    check_rotations,
    joint_labels,
    rotate_views,
    upright,
)

__all__ = [
    'ROTATIONS',
    'check_rotations',
    'rotate_views',
    'joint_labels',
    'upright',
]
