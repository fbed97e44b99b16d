# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with the connectors fixed at their random initialisation: a fixed linear
# projection of the student's pooled features that cannot absorb the
# adversarial game, so only the student's own features move.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs={
            name: dict(frozen_connector=True)
            for name in ('feat0', 'feat1', 'pooled')
        }
    )
)
