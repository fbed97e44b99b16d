# The Fashion-MNIST benchmark data as SSKD trains on it (RotatedViews, then
# ViewsDataPreprocessor in the model): one flip per image, then each of the
# 4 rotated views cropped on its own; evaluation unchanged.
_base_ = ['./fashion_mnist_5k.py']

train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(
                type='RotatedViews',
                transforms=[dict(type='RandomCrop', crop_size=28, padding=2)],
            ),
            dict(type='PackInputs'),
        ]
    )
)
