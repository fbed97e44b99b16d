from .msmgan import MSMGAN
from .samkd import SAMKD
from .samkd_adversary import SAMKDAdversary

__all__ = ['MSMGAN', 'SAMKD', 'SAMKDAdversary']
