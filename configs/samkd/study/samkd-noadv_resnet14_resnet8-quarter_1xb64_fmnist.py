# SAMKD study (Fashion-MNIST CPU pair): the default config with no
# discriminator ever switched on: HSAKD's losses through SAMKD's machinery
# (two optimizers, the adversary built but idle). It tells whether that
# machinery alone moves the student away from HSAKD's run of the same seed.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(type='mmrazor.AdversarialStageHook', stages=[dict(begin=0)])
]
