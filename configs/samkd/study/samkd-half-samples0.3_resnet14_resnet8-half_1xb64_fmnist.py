# SAMKD study, capacity check: the half-width student's SAMKD
# (samkd-half) plus the game on the inputs of samkd-samples0.3 (from
# epoch 2, discrepancy samples one signed-gradient step of 0.3 away,
# weight 1).
_base_ = ['./samkd-half_resnet14_resnet8-half_1xb64_fmnist.py']

model = dict(samples=dict(epsilon=0.3, tau=3))

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.1, samples=1)),
            dict(begin=4, weights=dict(feat0=0.1, feat1=0.1, samples=1)),
            dict(
                begin=6,
                weights=dict(feat0=0.1, feat1=0.1, logits=0.1, samples=1),
            ),
        ],
    )
]
