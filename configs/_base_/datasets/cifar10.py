# CIFAR-10 with the CRD/HSAKD recipe: RandomCrop 32 pad 4 + flip, batch 64,
# normalised with CIFAR-10's own statistics.
_base_ = ['mmpretrain::_base_/datasets/cifar10_bs16.py']

train_dataloader = dict(batch_size=64, num_workers=4)
val_dataloader = dict(batch_size=64, num_workers=4)
test_dataloader = val_dataloader
