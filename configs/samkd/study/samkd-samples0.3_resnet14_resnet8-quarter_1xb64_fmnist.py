# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# plus the game on the inputs: from epoch 2, each image also moved one
# signed-gradient step of 0.3 (normalised units) up the student's joint
# divergence from the teacher, where the student learns the teacher's
# joint distributions too (weight 1).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

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
