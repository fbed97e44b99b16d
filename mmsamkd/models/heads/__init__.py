from .projection_head import ProjectionHead
from .shallow_adapter import SepConv, ShallowAdapter
from .ss_branches import SelfSupervisedBranch, build_ss_branches

__all__ = [
    'ProjectionHead',
    'SelfSupervisedBranch',
    'SepConv',
    'ShallowAdapter',
    'build_ss_branches',
]
