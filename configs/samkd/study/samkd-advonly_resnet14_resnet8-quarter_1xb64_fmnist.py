# SAMKD study (Fashion-MNIST CPU pair): the default config with every KL
# term at weight 0, so the teacher reaches the student through the
# discriminators alone (default stages and weights 0.1). Against
# samkd-nokl (the same with no discriminator), it tells whether the
# adversaries transfer any knowledge by themselves.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(
        distill_losses={
            f'loss_{name}': dict(loss_weight=0)
            for name in ('logits', 'branch0', 'branch1')
        }
    )
)
