# CIFAR-100 with the CRD/HSAKD recipe: RandomCrop 32 pad 4 + flip, batch 64.
_base_ = ['mmpretrain::_base_/datasets/cifar100_bs16.py']

train_dataloader = dict(batch_size=64, num_workers=4)
val_dataloader = dict(batch_size=64, num_workers=4)
test_dataloader = val_dataloader
