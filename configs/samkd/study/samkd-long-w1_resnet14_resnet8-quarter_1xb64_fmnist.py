# SAMKD schedule check (configs/samkd/README.md): samkd-long (24 epochs)
# with every adversarial weight 1 instead of 0.1. At 12 epochs weights 1
# cost accuracy; do they still when the student has twice the epochs?
_base_ = ['./samkd-long_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=4, weights=dict(feat0=1.0)),
            dict(begin=8, weights=dict(feat0=1.0, feat1=1.0)),
            dict(begin=12, weights=dict(feat0=1.0, feat1=1.0, logits=1.0)),
        ],
    )
]
