# SAMKD study (Fashion-MNIST CPU pair), the first reconstruction: HSAKD's
# losses plus discriminators on the pooled branch features (shallow to deep)
# and on the logits, switched on in stages, every adversarial weight 1, the
# discriminators' Adam at a constant lr. The base of the other variants.
_base_ = [
    '../../_base_/models/fmnist_resnets.py',
    '../../_base_/models/samkd.py',
    '../../_base_/datasets/fashion_mnist_5k.py',
    '../../_base_/schedules/fmnist_cpu.py',
    '../../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet14_ssa-frozen_1xb64_fmnist.py
teacher_ckpt = 'work_dirs/resnet14_ssa-frozen_1xb64_fmnist/epoch_3.pth'

model = dict(
    _scope_='mmrazor',
    type='SAMKD',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet8_quarter_fmnist,
        type='SelfSupervisedClassifier',
        branch_taps=_base_.fmnist_branch_taps,
        branch_loss_weight=0,  # branches learn from the teacher only
    ),
    teacher=dict(
        _base_.resnet14_fmnist,
        type='SelfSupervisedClassifier',
        branch_taps=_base_.fmnist_branch_taps,
    ),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.samkd_distiller_2branches,
    adversary=dict(
        type='SAMKDAdversary',
        gan_type='bce',
        discriminator=dict(type='MLPDiscriminator', hidden_channels=(256,)),
        # pooled branch features: teacher 64 wide, student 16 (connector)
        pairs=dict(
            {
                f'feat{i}': dict(
                    student=f'feat{i}',
                    teacher=f'feat{i}',
                    channels=64,
                    student_channels=16,
                )
                for i in range(2)
            },
            logits=dict(student='logits', teacher='logits', channels=10),
        ),
    ),
    discriminator_steps=1,
)

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

# warm-up (KD only), feature discriminators shallow to deep, then logits
custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(feat0=1.0)),
            dict(begin=4, weights=dict(feat0=1.0, feat1=1.0)),
            dict(begin=6, weights=dict(feat0=1.0, feat1=1.0, logits=1.0)),
        ],
    )
]

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
