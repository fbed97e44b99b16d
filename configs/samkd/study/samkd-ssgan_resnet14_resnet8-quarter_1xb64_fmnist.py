# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with self-supervised discriminators (Chen et al., "Self-Supervised GANs
# via Auxiliary Rotation Loss", CVPR 2019): each discriminator also learns
# the rotation of the teacher's rotated views (weight 1), and the student
# must make its own views' rotations legible to it (weight 0.2, times the
# stage weight): the literal reading of "self-supervised adversarial
# learning".
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs={
            name: dict(rotation=dict(num_rotations=4))
            for name in ('feat0', 'feat1', 'pooled', 'logits')
        }
    )
)
