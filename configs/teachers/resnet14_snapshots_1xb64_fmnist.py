# The plain resnet14 teacher of configs/teachers/resnet14_1xb64_fmnist.py (same
# training), keeping a checkpoint every 4 epochs: the snapshots epoch_4.pth,
# epoch_8.pth, epoch_12.pth that MS-MGANs' student phases use in turn.
_base_ = ['./resnet14_1xb64_fmnist.py']

default_hooks = dict(checkpoint=dict(interval=4, max_keep_ckpts=-1))
