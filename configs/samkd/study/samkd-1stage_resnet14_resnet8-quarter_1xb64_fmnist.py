# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# in a single stage: every discriminator on from epoch 0.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[dict(begin=0, weights=dict(feat0=0.1, feat1=0.1, logits=0.1))],
    )
]
