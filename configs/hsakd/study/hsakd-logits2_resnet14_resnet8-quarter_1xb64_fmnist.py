# HSAKD on the CPU pair with the final logits' KL term (all rotated views)
# at weight 2 instead of the paper's 1: the control of the SAMKD study's
# samkd-logits2 (configs/samkd/README.md), which tells whether that
# variant's gain belongs to SAMKD's adversaries or to the weight alone.
_base_ = ['../hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_logits=dict(loss_weight=2)))
)
