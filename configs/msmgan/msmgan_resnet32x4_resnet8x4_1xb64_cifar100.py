# MS-MGANs, resnet32x4 -> resnet8x4 on CIFAR-100: the student's 3 blocks
# trained one at a time against per-block discriminators (20 epochs each, under
# teacher snapshots of epochs 80, 160, 240), then the whole student with CE +
# KD (T=4) to epoch 240 under the final teacher; the CRD recipe for the
# student's lr (configs/msmgan/README.md lists every inferred choice).
_base_ = [
    '../_base_/models/cifar_zoo.py',
    '../_base_/models/msmgan.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/msmgan_240e.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet32x4_snapshots_1xb64_cifar100.py
teacher_snapshots = [
    'work_dirs/resnet32x4_snapshots_1xb64_cifar100/epoch_80.pth',
    'work_dirs/resnet32x4_snapshots_1xb64_cifar100/epoch_160.pth',
    'work_dirs/resnet32x4_snapshots_1xb64_cifar100/epoch_240.pth',
]

model = dict(
    _scope_='mmrazor',
    type='MSMGAN',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.cifar_zoo.resnet8x4,
        head=dict(
            _base_.cifar_zoo.resnet8x4.head, loss=_base_.kd_student_loss
        ),
    ),
    teacher=_base_.cifar_zoo.resnet32x4,
    teacher_snapshots=teacher_snapshots,
    teacher_ckpt=teacher_snapshots[0],
    distiller=_base_.msmgan_distiller,
    adversary=dict(
        type='SAMKDAdversary',
        gan_type='bce',
        discriminator=dict(type='MLPDiscriminator', hidden_channels=(256,)),
        # pooled block outputs; the student's through a linear adapter
        pairs=dict(
            block0=dict(
                student='block0',
                teacher='block0',
                channels=64,
                student_channels=64,
            ),
            block1=dict(
                student='block1',
                teacher='block1',
                channels=128,
                student_channels=128,
            ),
            block2=dict(
                student='block2',
                teacher='block2',
                channels=256,
                student_channels=256,
            ),
        ),
    ),
    mutual=False,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
