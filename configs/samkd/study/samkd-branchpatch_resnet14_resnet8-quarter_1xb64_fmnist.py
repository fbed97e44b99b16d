# SAMKD study (Fashion-MNIST CPU pair): patch discriminators on each
# branch's feature map (the output of its layers, before pooling; 7x7,
# teacher 64 channels, student 16) instead of MLPs on the pooled branch
# features. A 1x1 convolution maps the student's channels to the
# teacher's; every position is judged. Same stages, weights and logits
# discriminator as the default config (samkd-nomatch).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

maps = {
    f'branchmap{i}': dict(
        type='ModuleOutputs', source=f'ss_branches.{i}.layers'
    )
    for i in (0, 1)
}
model = dict(
    distiller=dict(student_recorders=maps, teacher_recorders=maps),
    adversary=dict(
        pairs=dict(
            _delete_=True,
            **{
                f'feat{i}': dict(
                    student=f'branchmap{i}',
                    teacher=f'branchmap{i}',
                    channels=64,
                    student_channels=16,
                    spatial=True,
                    discriminator=dict(type='PatchDiscriminator'),
                )
                for i in (0, 1)
            },
            logits=dict(student='logits', teacher='logits', channels=10),
        )
    ),
)
