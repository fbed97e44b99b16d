from .ss_branches import SelfSupervisedBranch, build_ss_branches

__all__ = ['SelfSupervisedBranch', 'build_ss_branches']
