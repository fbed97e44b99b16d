# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with every adversarial weight at 0.03 instead of 0.1, the lowest weight
# the issue asks to study.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.03)),
            dict(begin=4, weights=dict(feat0=0.03, feat1=0.03)),
            dict(begin=6, weights=dict(feat0=0.03, feat1=0.03, logits=0.03)),
        ],
    )
]
