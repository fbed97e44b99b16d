# SAMKD study (Fashion-MNIST CPU pair): the mechanism check of issue 31 for
# matching-aware discriminators: samkd-matchaware with every KL term at
# weight 0, so the teacher reaches the student through the discriminators
# alone. Paired with samkd-nokl (the same student, taught by nobody).
_base_ = ['./samkd-matchaware_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(
        distill_losses={
            f'loss_{name}': dict(loss_weight=0)
            for name in ('logits', 'branch0', 'branch1')
        }
    )
)
