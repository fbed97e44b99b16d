# SAMKD study (Fashion-MNIST CPU pair): discriminators judge each image's
# self-supervised joint distribution, the softmax (T=3) of all 4 rotated
# views of a branch's 40 joint logits (and of the final logits), instead
# of pooled features; weights 0.1, discriminators' lr on the cosine decay.
_base_ = ['./samkd-w0.1_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(
            _delete_=True,
            branch0=dict(
                student='branch0',
                teacher='branch0',
                channels=40,
                tau=3,
                views=4,
            ),
            branch1=dict(
                student='branch1',
                teacher='branch1',
                channels=40,
                tau=3,
                views=4,
            ),
            logits=dict(
                student='logits',
                teacher='logits',
                channels=10,
                tau=3,
                views=4,
            ),
        )
    ),
)
param_scheduler = dict(
    adversary=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)]
)
custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(branch0=0.1)),
            dict(begin=4, weights=dict(branch0=0.1, branch1=0.1)),
            dict(begin=6, weights=dict(branch0=0.1, branch1=0.1, logits=0.1)),
        ],
    )
]
