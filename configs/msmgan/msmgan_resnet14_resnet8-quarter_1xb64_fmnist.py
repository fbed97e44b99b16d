# MS-MGANs on the CPU benchmark pair: the student's 3 blocks trained one at a
# time against per-block discriminators (one epoch each, under the teacher
# snapshots of epochs 4, 8 and 12), then the whole student with CE + KD (T=4)
# for the remaining 9 epochs under the final teacher; the benchmark's data,
# schedule and seeds.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/msmgan.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/msmgan_fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet14_snapshots_1xb64_fmnist.py
teacher_snapshots = [
    'work_dirs/resnet14_snapshots_1xb64_fmnist/epoch_4.pth',
    'work_dirs/resnet14_snapshots_1xb64_fmnist/epoch_8.pth',
    'work_dirs/resnet14_snapshots_1xb64_fmnist/epoch_12.pth',
]

model = dict(
    _scope_='mmrazor',
    type='MSMGAN',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor', **_base_.data_preprocessor
    ),
    architecture=dict(
        _base_.resnet8_quarter_fmnist,
        head=dict(
            _base_.resnet8_quarter_fmnist.head, loss=_base_.kd_student_loss
        ),
    ),
    teacher=_base_.resnet14_fmnist,
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
                channels=16,
                student_channels=4,
            ),
            block1=dict(
                student='block1',
                teacher='block1',
                channels=32,
                student_channels=8,
            ),
            block2=dict(
                student='block2',
                teacher='block2',
                channels=64,
                student_channels=16,
            ),
        ),
    ),
    mutual=False,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
