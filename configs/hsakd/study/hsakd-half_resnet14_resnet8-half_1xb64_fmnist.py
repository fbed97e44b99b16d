# HSAKD on the CPU pair with a student at half width (8/16/32 channels)
# instead of a quarter: the capacity check of the SAMKD study
# (configs/samkd/README.md), where SAMKD and HSAKD are compared on a
# student that is less bound by its size. Otherwise the benchmark's HSAKD.
_base_ = ['../hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(
    architecture=dict(
        backbone=dict(widen_factor=0.5), head=dict(in_channels=32)
    )
)
