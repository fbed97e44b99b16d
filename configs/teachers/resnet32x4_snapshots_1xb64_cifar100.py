# The plain resnet32x4 teacher of configs/teachers/resnet32x4_1xb64_cifar100.py
# (same training), keeping a checkpoint every 80 epochs: the snapshots
# epoch_80.pth, epoch_160.pth, epoch_240.pth that MS-MGANs' student phases use
# in turn.
_base_ = ['./resnet32x4_1xb64_cifar100.py']

default_hooks = dict(checkpoint=dict(interval=80, max_keep_ckpts=-1))
