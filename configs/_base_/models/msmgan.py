# MS-MGANs (Huang et al., Computer Science 2022), reconstructed from its
# abstract (configs/msmgan/README.md): KD's distiller (0.1 CE + 0.9 KL,
# T=4; the final phase) plus recorders of every block (backbone stage)
# output, which the per-block discriminators judge. The optimizers and the
# phases come with the schedule: schedules/msmgan_240e.py (CIFAR) and
# schedules/msmgan_fmnist_cpu.py.
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

model_wrapper_cfg = dict(type='mmrazor.SAMKDDistributedDataParallel')
