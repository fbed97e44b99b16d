# Fashion-MNIST read in place from Debian's dataset-fashion-mnist package
# (28x28 grey, 10 classes). Mean/std: the training set's pixel statistics.
dataset_type = 'LocalFashionMNIST'
data_root = '/usr/share/datasets/fashion-mnist'
data_preprocessor = dict(
    num_classes=10, mean=[72.94], std=[90.02], to_rgb=False
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
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
    batch_size=256,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline,
    ),
    collate_fn=dict(type='default_collate'),  # one tensor, one copy
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# accuracy, and what a student took from its teacher (agreement, KL,
# calibration; a model without a teacher: its calibration)
val_evaluator = [
    dict(type='Accuracy', topk=(1,)),
    dict(type='mmrazor.TransferMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
