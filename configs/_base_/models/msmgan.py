# MS-MGANs (Huang et al., Computer Science 2022), reconstructed from its
# abstract (configs/msmgan/README.md): KD's distiller (0.1 CE + 0.9 KL,
# T=4; the final phase) plus recorders of every block (backbone stage)
# output, which the per-block discriminators judge; two optimizers as
# SAMKD's (the student and its adapters; the discriminators, Adam 2e-4);
# the phase tables of the CPU (12 epochs) and CIFAR (240) schedules:
# block b under teacher snapshot b, then the final phase.
_base_ = ['./kd_logits.py']

_blocks = {
    f'block{i}': dict(type='ModuleOutputs', source=f'backbone.stages.{i}')
    for i in range(3)
}
msmgan_distiller = dict(
    _base_.kd_logits_distiller,
    student_recorders=dict(
        _base_.kd_logits_distiller.student_recorders, **_blocks
    ),
    teacher_recorders=dict(
        _base_.kd_logits_distiller.teacher_recorders, **_blocks
    ),
)

msmgan_optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SAMKDOptimWrapperConstructor',
    architecture=dict(
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4)
    ),
    adversary=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
)

msmgan_phases_12e = [
    dict(begin=0, block=0, snapshot=0),
    dict(begin=1, block=1, snapshot=1),
    dict(begin=2, block=2, snapshot=2),
    dict(begin=3, block=None, snapshot=2),
]
msmgan_phases_240e = [
    dict(begin=0, block=0, snapshot=0),
    dict(begin=20, block=1, snapshot=1),
    dict(begin=40, block=2, snapshot=2),
    dict(begin=60, block=None, snapshot=2),
]
model_wrapper_cfg = dict(type='mmrazor.SAMKDDistributedDataParallel')
