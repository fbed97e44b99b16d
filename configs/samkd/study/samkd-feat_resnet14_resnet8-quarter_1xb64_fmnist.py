# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with the feature discriminators only (no logits discriminator).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.1)),
            dict(begin=4, weights=dict(feat0=0.1, feat1=0.1)),
        ],
    )
]
