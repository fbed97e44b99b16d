# Tiny-ImageNet (200 classes, 64x64) from data/tiny-imagenet-200, the folder
# of the official zip. RandomCrop 64 pad 4 + flip, ImageNet statistics.
dataset_type = 'TinyImageNet'
data_root = 'data/tiny-imagenet-200'
data_preprocessor = dict(
    num_classes=200,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=64, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    pin_memory=True,  # page-locked batches copy to the GPU faster
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline,
    ),
    collate_fn=dict(type='default_collate'),  # one tensor, one copy
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    pin_memory=True,  # page-locked batches copy to the GPU faster
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline,
    ),
    collate_fn=dict(type='default_collate'),  # one tensor, one copy
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# accuracy, and what a student took from its teacher (agreement, KL,
# calibration; a model without a teacher: its calibration)
val_evaluator = [
    dict(type='Accuracy', topk=(1, 5)),
    dict(type='mmrazor.TransferMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
