from .samkd import SAMKD
from .samkd_adversary import SAMKDAdversary

__all__ = ['SAMKD', 'SAMKDAdversary']
