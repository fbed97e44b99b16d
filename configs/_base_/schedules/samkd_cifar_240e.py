# SAMKD on CIFAR: the CRD/HSAKD student schedule (240 epochs, SGD nesterov
# lr 0.05 x0.1 at 150/180/210, wd 5e-4) for the student side, Adam 2e-4
# (betas 0.5/0.999) for the discriminators, decayed with the student's lr
# (as the Fashion-MNIST study chose).
_base_ = ['./cifar_240e.py']

optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SAMKDOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(
            type='SGD', lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4
        )
    ),
    adversary=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
param_scheduler = dict(
    _delete_=True,
    architecture=dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[150, 180, 210],
        gamma=0.1,
    ),
    adversary=[
        dict(
            type='MultiStepLR',
            by_epoch=True,
            milestones=[150, 180, 210],
            gamma=0.1,
        )
    ],
)
