# SAMKD study (Fashion-MNIST CPU pair): samkd-advonly (no KL term; the
# discriminators are the only path from the teacher) with every
# adversarial weight 1 instead of 0.1.
_base_ = ['./samkd-advonly_resnet14_resnet8-quarter_1xb64_fmnist.py']

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
