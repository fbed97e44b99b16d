# SAMKD study (Fashion-MNIST CPU pair): the default config plus
# cross-scale knowledge: the student's shallow branch also learns the joint
# distribution of the teacher's deepest branch (KL, T=3, weight 1), on top
# of its own scale's. Multi-scale distillation read as every scale learning
# from the teacher's best one, not only its own. The base's losses stay
# (mmengine merges these dicts into them).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_branch0_from1=dict(type='KLDivergence', tau=3, loss_weight=1),
        ),
        loss_forward_mappings=dict(
            loss_branch0_from1=dict(
                preds_S=dict(from_student=True, recorder='branch0'),
                preds_T=dict(from_student=False, recorder='branch1'),
            ),
        ),
    )
)
