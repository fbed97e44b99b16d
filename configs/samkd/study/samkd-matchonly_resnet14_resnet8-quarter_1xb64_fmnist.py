# SAMKD study (Fashion-MNIST CPU pair): the feature-matching terms of
# samkd-match with no discriminator at all (what the adversaries add).
_base_ = ['./samkd-match_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(type='mmrazor.AdversarialStageHook', stages=[dict(begin=0)])
]
