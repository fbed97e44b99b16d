# SAMKD study (Fashion-MNIST CPU pair): samkd-matchaware with every
# adversarial weight 1 instead of 0.1, the second (and last) variant that
# issue 31's protocol allows against HSAKD.
_base_ = ['./samkd-matchaware_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=1.0)),
            dict(begin=4, weights=dict(feat0=1.0, feat1=1.0)),
            dict(begin=6, weights=dict(feat0=1.0, feat1=1.0, logits=1.0)),
        ],
    )
]
