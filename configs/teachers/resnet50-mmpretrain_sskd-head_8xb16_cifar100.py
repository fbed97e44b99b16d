# SSKD's teacher stage on MMPretrain's resnet50_8xb16_cifar100: the
# model-zoo teacher (load_from) stays frozen; only its projection head
# learns the contrastive rotation task on the 4 views, with SSKD's head
# schedule (schedules/sskd_head_60e.py: 60 epochs, lr 0.05 x0.1 at 30/45).
_base_ = ['../_base_/mmpretrain/resnet50_8xb16_cifar100.py']

model = dict(
    type='SSKDClassifier',
    mode='frozen',
    data_preprocessor=dict(
        _base_.data_preprocessor, type='ViewsDataPreprocessor'
    ),
)
train_dataloader = dict(dataset=dict(pipeline=_base_.sskd_train_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
)
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 45], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)

load_from = _base_.zoo_teacher
