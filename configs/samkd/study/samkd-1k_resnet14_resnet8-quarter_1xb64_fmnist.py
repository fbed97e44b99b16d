# SAMKD (the default design) on the CPU pair with a fifth of the data (the
# first 1000 training images) for 60 epochs: the data-scarce check of the
# study in configs/samkd/README.md, paired with
# configs/hsakd/study/hsakd-1k_resnet14_resnet8-quarter_1xb64_fmnist.py. The
# student's and the discriminators' cosine decay and the stage epochs
# stretch with the schedule: feature discriminators from epochs 10 and 20,
# logits from 30, weight 0.1.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

train_dataloader = dict(dataset=dict(indices=1000))
param_scheduler = dict(
    architecture=dict(T_max=60),
    # a list is replaced, not merged
    adversary=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=60)],
)
train_cfg = dict(max_epochs=60, val_interval=15)
custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=10, weights=dict(feat0=0.1)),
            dict(begin=20, weights=dict(feat0=0.1, feat1=0.1)),
            dict(begin=30, weights=dict(feat0=0.1, feat1=0.1, logits=0.1)),
        ],
    )
]
