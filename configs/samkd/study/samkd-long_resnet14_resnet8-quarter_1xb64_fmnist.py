# SAMKD (the default design) on the CPU pair trained twice as long (24
# epochs): the schedule check of the study in configs/samkd/README.md,
# paired with
# configs/hsakd/study/hsakd-long_resnet14_resnet8-quarter_1xb64_fmnist.py.
# The student's and the discriminators' cosine decay and the stage epochs
# stretch with it: feature discriminators from epochs 4 and 8, logits
# from 12, weight 0.1.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

param_scheduler = dict(
    architecture=dict(T_max=24),
    # a list is replaced, not merged
    adversary=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=24)],
)
train_cfg = dict(max_epochs=24)
custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=4, weights=dict(feat0=0.1)),
            dict(begin=8, weights=dict(feat0=0.1, feat1=0.1)),
            dict(begin=12, weights=dict(feat0=0.1, feat1=0.1, logits=0.1)),
        ],
    )
]
