# SAMKD (the default design) on the CPU pair with a student at half width
# (8/16/32 channels): the capacity check of the study in
# configs/samkd/README.md, paired with
# configs/hsakd/study/hsakd-half_resnet14_resnet8-half_1xb64_fmnist.py.
# The student's pooled features are 32 wide (a quarter-width student's 16).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    architecture=dict(
        backbone=dict(widen_factor=0.5), head=dict(in_channels=32)
    ),
    adversary=dict(
        pairs=dict(
            {
                name: dict(student_channels=32)
                for name in ('feat0', 'feat1', 'pooled')
            }
        )
    ),
)
