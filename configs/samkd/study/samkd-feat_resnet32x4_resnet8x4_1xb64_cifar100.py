# SAMKD ablation on resnet32x4 -> resnet8x4, CIFAR-100: feature discriminators
# only (no logits discriminator).
# Everything else as in samkd_resnet32x4_resnet8x4_1xb64_cifar100.py.
_base_ = ['../samkd_resnet32x4_resnet8x4_1xb64_cifar100.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=30, weights=dict(feat0=0.1)),
            dict(begin=45, weights=dict(feat0=0.1, feat1=0.1)),
            dict(begin=60, weights=dict(feat0=0.1, feat1=0.1, feat2=0.1)),
        ],
    )
]
