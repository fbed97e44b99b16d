# SAMKD study (Fashion-MNIST CPU pair), the control of samkd-advonly: the
# same student (every KL term at weight 0) with no discriminator ever
# switched on, so it learns from its labels alone (CE on upright views,
# all four views through the network as in HSAKD).
_base_ = ['./samkd-advonly_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(type='mmrazor.AdversarialStageHook', stages=[dict(begin=0)])
]
