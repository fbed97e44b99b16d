# SAMKD study, capacity check: the half-width student's SAMKD
# (samkd-half) with every adversarial weight 1 instead of 0.1.
_base_ = ['./samkd-half_resnet14_resnet8-half_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=1)),
            dict(begin=4, weights=dict(feat0=1, feat1=1)),
            dict(begin=6, weights=dict(feat0=1, feat1=1, logits=1)),
        ],
    )
]
