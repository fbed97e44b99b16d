# SAMKD study (Fashion-MNIST CPU pair), the control of samkd-advonly: the
# default config with every KL term at weight 0 and no discriminator ever
# switched on, so the student learns from its labels alone (CE on upright
# views, all four views through the network as in HSAKD).
_base_ = ['./samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(
        distill_losses={
            f'loss_{name}': dict(loss_weight=0)
            for name in ('logits', 'branch0', 'branch1')
        }
    )
)
custom_hooks = [
    dict(type='mmrazor.AdversarialStageHook', stages=[dict(begin=0)])
]
