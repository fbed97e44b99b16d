# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with discriminators conditioned on the joint label 4y + k of each rotated
# view (projection discriminators): the student's pooled branch features
# and logits must pass as the teacher's for that class and rotation, not
# only as teacher-like in general.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs={
            name: dict(num_classes=40)
            for name in ('feat0', 'feat1', 'pooled', 'logits')
        }
    )
)
