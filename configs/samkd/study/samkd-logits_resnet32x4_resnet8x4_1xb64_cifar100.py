# SAMKD ablation on resnet32x4 -> resnet8x4, CIFAR-100: the logits
# discriminator only, from epoch 30.
# Everything else as in samkd_resnet32x4_resnet8x4_1xb64_cifar100.py.
_base_ = ['../samkd_resnet32x4_resnet8x4_1xb64_cifar100.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=30, weights=dict(logits=0.1)),
        ],
    )
]
