# The data-scarce check (samkd-1k: 1000 images, 60 epochs) with every
# adversarial weight 1 instead of 0.1: does a stronger adversary regularise
# a student that sees each image five times as often?
_base_ = ['./samkd-1k_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=10, weights=dict(feat0=1.0)),
            dict(begin=20, weights=dict(feat0=1.0, feat1=1.0)),
            dict(begin=30, weights=dict(feat0=1.0, feat1=1.0, logits=1.0)),
        ],
    )
]
