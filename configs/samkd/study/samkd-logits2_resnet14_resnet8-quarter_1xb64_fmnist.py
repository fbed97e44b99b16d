# SAMKD study (Fashion-MNIST CPU pair): the default config with the final
# logits' KL term (all rotated views) at weight 2 instead of HSAKD's 1:
# does the tiny student gain when its own classifier's knowledge term
# outweighs the auxiliary branches'?
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_logits=dict(loss_weight=2)))
)
