# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with the logits discriminator only, from epoch 2.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[dict(begin=0), dict(begin=2, weights=dict(logits=0.1))],
    )
]
