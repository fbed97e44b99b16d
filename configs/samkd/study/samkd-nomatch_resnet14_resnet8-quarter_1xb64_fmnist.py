# SAMKD study (Fashion-MNIST CPU pair, branches initialised as published):
# no feature matching: HSAKD's losses plus the staged discriminators (weight
# 0.1, cosine discriminator lr) alone. Best SAMKD variant on 3 validation
# seeds, so the default config is this design (identical content).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']
