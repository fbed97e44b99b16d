# HSAKD on the CPU pair with a fifth of the data (the first 1000 training
# images) for five times the epochs (60, cosine over 60; the same ~950
# iterations): the data-scarce check of the SAMKD study
# (configs/samkd/README.md). The benchmark's student underfits its 5000
# images; here it sees each image 60 times, the regime where a regulariser
# such as an adversary has something to act on. Otherwise the benchmark's
# HSAKD; its teacher is the benchmark's (5000 images).
_base_ = ['../hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py']

train_dataloader = dict(dataset=dict(indices=1000))
param_scheduler = dict(T_max=60)
train_cfg = dict(max_epochs=60, val_interval=15)
