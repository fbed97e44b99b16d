from .projection_head import ProjectionHead
from .ss_branches import SelfSupervisedBranch, build_ss_branches

__all__ = ['ProjectionHead', 'SelfSupervisedBranch', 'build_ss_branches']
