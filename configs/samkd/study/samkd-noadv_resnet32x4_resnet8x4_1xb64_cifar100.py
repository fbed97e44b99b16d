# SAMKD ablation on resnet32x4 -> resnet8x4, CIFAR-100: no discriminator at all
# (the HSAKD losses alone, through SAMKD's machinery).
# Everything else as in samkd_resnet32x4_resnet8x4_1xb64_cifar100.py.
_base_ = ['../samkd_resnet32x4_resnet8x4_1xb64_cifar100.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
        ],
    )
]
