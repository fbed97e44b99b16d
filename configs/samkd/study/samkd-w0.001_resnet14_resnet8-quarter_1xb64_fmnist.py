# SAMKD study (Fashion-MNIST CPU pair): the noise floor of a paired
# comparison. The default config (samkd-nomatch) with every adversarial
# weight at 0.001: too small for the adversarial terms to teach anything,
# but enough to move the student's trajectory off HSAKD's from epoch 2. Its
# gap to HSAKD on the same seed is what a variant with no effect scores.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

_w = 0.001
custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=_w)),
            dict(begin=4, weights=dict(feat0=_w, feat1=_w)),
            dict(begin=6, weights=dict(feat0=_w, feat1=_w, logits=_w)),
        ],
    )
]
