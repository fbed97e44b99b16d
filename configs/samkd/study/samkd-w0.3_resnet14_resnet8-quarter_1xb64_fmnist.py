# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with every adversarial weight at 0.3 instead of 0.1.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.3)),
            dict(begin=4, weights=dict(feat0=0.3, feat1=0.3)),
            dict(begin=6, weights=dict(feat0=0.3, feat1=0.3, logits=0.3)),
        ],
    )
]
