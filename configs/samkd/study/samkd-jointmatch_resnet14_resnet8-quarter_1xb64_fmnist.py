# SAMKD study (Fashion-MNIST CPU pair): samkd-joint's discriminators on the
# 4-view joint distributions, plus samkd-match's feature matching of the
# pooled branch features through their connectors (every stage).
_base_ = ['./samkd-joint_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    adversary=dict(
        pairs=dict(
            {
                f'feat{i}': dict(
                    student=f'feat{i}',
                    teacher=f'feat{i}',
                    channels=64,
                    student_channels=16,
                    match_weight=1.0,
                )
                for i in range(2)
            }
        )
    )
)
