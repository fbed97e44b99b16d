# LightSKD's CIFAR schedule (its train.py): 200 epochs, batch 128, SGD
# momentum 0.9, lr 0.1, x0.1 at epochs 60/120/160, weight decay 5e-4.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
