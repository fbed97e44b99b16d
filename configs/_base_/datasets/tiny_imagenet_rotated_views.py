# Tiny-ImageNet as SSKD trains on it (RotatedViews, then ViewsDataPreprocessor
# in the model): one flip per image, then each of the 4 rotated views
# cropped on its own; evaluation unchanged.
_base_ = ['./tiny_imagenet.py']

# one (N, 4, C, H, W) tensor per batch; ViewsDataPreprocessor reads it
# image-major (it reads pseudo_collate's list of (4, C, H, W) too)
train_dataloader = dict(
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(
                type='RotatedViews',
                transforms=[dict(type='RandomCrop', crop_size=64, padding=4)],
            ),
            dict(type='PackInputs'),
        ]
    ),
)
