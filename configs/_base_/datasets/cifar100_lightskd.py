# CIFAR-100 as LightSKD's official code trains on it: a random resized crop
# to 32 (area 0.08-1, aspect 3/4-4/3) and a horizontal flip, in place of the
# zoo's RandomCrop 32 pad 4; evaluation unchanged.
_base_ = ['./cifar100.py']

train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(
                type='RandomResizedCrop',
                scale=32,
                crop_ratio_range=(0.08, 1.0),
            ),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]
    )
)
