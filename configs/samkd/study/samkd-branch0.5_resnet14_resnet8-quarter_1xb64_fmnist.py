# SAMKD study (Fashion-MNIST CPU pair): the default config with the
# branches' KL terms at weight 0.5 instead of HSAKD's 1 (the final logits'
# KL and CE unchanged): does the tiny student gain when the auxiliary
# branches ask less of its shared stages?
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_branch0=dict(loss_weight=0.5),
            loss_branch1=dict(loss_weight=0.5),
        )
    )
)
