# SAMKD study (Fashion-MNIST CPU pair, branches initialised as published):
# the default design matching only the backbone's pooled feature; the
# branch features are judged by their discriminators, not matched.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(
            feat0=dict(match_weight=0.0),
            feat1=dict(match_weight=0.0),
            pooled=dict(match_weight=1.0),
        )
    )
)
