# HSAKD on the CPU pair trained twice as long (24 epochs, cosine over 24):
# the schedule check of the SAMKD study (configs/samkd/README.md), which
# asks whether adversarial terms need more epochs to act in. Otherwise the
# benchmark's HSAKD; its teacher is the benchmark's (12 epochs).
_base_ = ['../hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py']

param_scheduler = dict(T_max=24)
train_cfg = dict(max_epochs=24)
