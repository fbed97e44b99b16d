# SAMKD study (Fashion-MNIST CPU pair): patch discriminators on the branch
# maps (samkd-branchpatch) with every adversarial weight at 0.3 instead of
# 0.1: unlike the pooled-feature discriminators, these keep telling the
# student apart, so their weight sets how hard the student is pushed.
_base_ = ['./samkd-branchpatch_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=0.3)),
            dict(begin=4, weights=dict(feat0=0.3, feat1=0.3)),
            dict(begin=6, weights=dict(feat0=0.3, feat1=0.3, logits=0.3)),
        ],
    )
]
