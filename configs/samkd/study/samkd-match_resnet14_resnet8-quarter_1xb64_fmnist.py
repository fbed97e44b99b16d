# SAMKD study (Fashion-MNIST CPU pair): the connector of each feature pair
# also matches the teacher's pooled branch feature (MSE, weight 1, every
# stage), adversarial weights 0.1, and the discriminators' lr follows the
# student's cosine decay.
_base_ = ['./samkd-w0.1_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(feat0=dict(match_weight=1.0), feat1=dict(match_weight=1.0))
    )
)
param_scheduler = dict(
    adversary=[dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)]
)
