# SSKD teacher stage 2 (its projection head on the frozen teacher): 60
# epochs, SGD momentum 0.9, lr 0.05 x0.1 at epochs 30/45, weight decay 5e-4.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 45], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
