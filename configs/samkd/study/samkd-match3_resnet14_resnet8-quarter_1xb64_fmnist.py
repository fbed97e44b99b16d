# SAMKD study (Fashion-MNIST CPU pair): the staged discriminators plus
# feature matching (MSE through the connectors, weight 1, every stage) at
# three scales, the two branches' pooled features and the backbone's own.
# The default from the first round of the study until the branches were
# initialised as published.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(
            {
                name: dict(match_weight=1.0)
                for name in ('feat0', 'feat1', 'pooled')
            }
        )
    )
)
