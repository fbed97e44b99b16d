# HSAKD's teacher stage on MMPretrain's resnet50_8xb16_cifar100: the
# self-supervised branches (on all 4 stages) trained on the frozen
# model-zoo teacher (load_from), with HSAKD's branch schedule
# (schedules/ssa_frozen_100e.py: 100 epochs, SGD nesterov, lr 0.05 x0.1 at
# 30/60/90, weight decay 5e-4).
_base_ = ['../_base_/mmpretrain/resnet50_8xb16_cifar100.py']

model = dict(type='SelfSupervisedClassifier', branch_mode='frozen')

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4
    )
)
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)

load_from = _base_.zoo_teacher
