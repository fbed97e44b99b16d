# Short CPU schedule for Fashion-MNIST (with datasets/fashion_mnist_20k.py):
# 6 epochs, SGD with cosine decay. Minutes on 2 cores, enough to rank methods.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=6)
train_cfg = dict(by_epoch=True, max_epochs=6, val_interval=1)
val_cfg = dict()
test_cfg = dict()
