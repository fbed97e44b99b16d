# MS-MGANs on the Fashion-MNIST CPU schedule (12 epochs): two optimizers as
# SAMKD's (the student and its adapters: SGD lr 0.05, cosine; the
# discriminators: Adam 2e-4, betas 0.5/0.999), and the phases: block b
# under teacher snapshot b for one epoch each, then the final phase.
_base_ = ['./fmnist_cpu.py']

optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SAMKDOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
    ),
    adversary=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)
param_scheduler = dict(
    _delete_=True,
    architecture=dict(type='CosineAnnealingLR', by_epoch=True, T_max=12),
    adversary=[],
)
custom_hooks = [
    dict(
        type='mmrazor.MSMGANPhaseHook',
        phases=[
            dict(begin=0, block=0, snapshot=0),
            dict(begin=1, block=1, snapshot=1),
            dict(begin=2, block=2, snapshot=2),
            dict(begin=3, block=None, snapshot=2),
        ],
    )
]
