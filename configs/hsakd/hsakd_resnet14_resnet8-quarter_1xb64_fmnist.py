# HSAKD on the CPU pair: CE on upright views + KL(T=3) of backbone and 2
# branch joint logits on 4N rotated views; same data, schedule and seed as
# the KD and vanilla Fashion-MNIST configs.
_base_ = [
    '../_base_/models/fmnist_resnets.py',
    '../_base_/models/hsakd.py',
    '../_base_/datasets/fashion_mnist_5k.py',
    '../_base_/schedules/fmnist_cpu.py',
    '../_base_/default_runtime.py',
]

# Written by tools/train.py with configs/teachers/
# resnet14_ssa-frozen_1xb64_fmnist.py
teacher_ckpt = 'work_dirs/resnet14_ssa-frozen_1xb64_fmnist/epoch_3.pth'

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
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
    distiller=_base_.hsakd_distiller_2branches,
)

val_cfg = dict(_delete_=True, type='mmrazor.TeacherCachedDistillValLoop')
