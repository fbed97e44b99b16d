# SAMKD study (Fashion-MNIST CPU pair): every adversarial weight 0.1
# instead of 1, same stages.
_base_ = ['./samkd-w1_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.1)),
            dict(begin=4, weights=dict(feat0=0.1, feat1=0.1)),
            dict(begin=6, weights=dict(feat0=0.1, feat1=0.1, logits=0.1)),
        ],
    )
]
