# CPU benchmark schedule for Fashion-MNIST (with datasets/fashion_mnist_5k.py):
# 12 epochs of 79 iterations, SGD with cosine decay, validation every 3.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=3)
val_cfg = dict()
test_cfg = dict()
