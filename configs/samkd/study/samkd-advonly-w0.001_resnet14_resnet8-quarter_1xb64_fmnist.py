# SAMKD study (Fashion-MNIST CPU pair): samkd-advonly (no KL term) with
# every adversarial weight 0.001, too weak to teach anything but enough to
# move the student off samkd-nokl's path: the noise floor of the paired
# gaps of the no-KL check.
_base_ = ['./samkd-advonly_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.001)),
            dict(begin=4, weights=dict(feat0=0.001, feat1=0.001)),
            dict(
                begin=6, weights=dict(feat0=0.001, feat1=0.001, logits=0.001)
            ),
        ],
    )
]
