# CIFAR-100 with the CRD/HSAKD recipe: RandomCrop 32 pad 4 + flip, batch 64.
_base_ = ['mmpretrain::_base_/datasets/cifar100_bs16.py']

# LocalCIFAR100: MMPretrain's CIFAR100 that never downloads; missing or
# damaged files are a one-line error naming the folder and the fix
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    pin_memory=True,  # page-locked batches copy to the GPU faster
    collate_fn=dict(type='default_collate'),  # one tensor, one copy
    dataset=dict(type='LocalCIFAR100'),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    pin_memory=True,  # page-locked batches copy to the GPU faster
    collate_fn=dict(type='default_collate'),  # one tensor, one copy
    dataset=dict(type='LocalCIFAR100'),
)
test_dataloader = val_dataloader

# accuracy, and what a student took from its teacher (agreement, KL,
# calibration; a model without a teacher: its calibration)
val_evaluator = [
    dict(type='Accuracy', topk=(1,)),
    dict(type='mmrazor.TransferMetric'),
]
test_evaluator = val_evaluator
