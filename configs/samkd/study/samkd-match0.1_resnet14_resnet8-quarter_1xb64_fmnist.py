# SAMKD study (Fashion-MNIST CPU pair, branches initialised as published):
# the default design with the feature-matching weight at 0.1 instead of 1.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(
            {
                name: dict(match_weight=0.1)
                for name in ('feat0', 'feat1', 'pooled')
            }
        )
    )
)
