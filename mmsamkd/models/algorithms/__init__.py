from .adversarial_pair import AdversarialPair
from .msmgan import MSMGAN
from .samkd import SAMKD
from .samkd_adversary import SAMKDAdversary

__all__ = ['AdversarialPair', 'MSMGAN', 'SAMKD', 'SAMKDAdversary']
