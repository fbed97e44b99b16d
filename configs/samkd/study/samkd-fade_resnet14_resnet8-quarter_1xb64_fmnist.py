# SAMKD study (Fashion-MNIST CPU pair): the adversarial terms fade out with
# the student's lr. The weight of epoch e is 0.1 times the lr factor
# 0.5 * (1 + cos(pi * e / 12)) of the default cosine schedule, so the
# discriminators pull hardest while the student still moves and stop once
# it settles. Same switching-on order and everything else as the default
# config (samkd-nomatch).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict.fromkeys(('feat0',), 0.0933)),
            dict(begin=3, weights=dict.fromkeys(('feat0',), 0.0854)),
            dict(begin=4, weights=dict.fromkeys(('feat0', 'feat1'), 0.075)),
            dict(begin=5, weights=dict.fromkeys(('feat0', 'feat1'), 0.0629)),
            dict(
                begin=6,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.05),
            ),
            dict(
                begin=7,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.0371),
            ),
            dict(
                begin=8,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.025),
            ),
            dict(
                begin=9,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.0146),
            ),
            dict(
                begin=10,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.0067),
            ),
            dict(
                begin=11,
                weights=dict.fromkeys(('feat0', 'feat1', 'logits'), 0.0017),
            ),
        ],
    )
]
