# SAMKD study (Fashion-MNIST CPU pair): samkd-match plus a third scale, the
# backbone's own pooled feature (the input of head.fc: teacher 64 wide,
# student 16), matched through its connector in every stage.
_base_ = ['./samkd-match_resnet14_resnet8-quarter_1xb64_fmnist.py']

pooled = dict(type='ModuleInputs', source='head.fc')
model = dict(
    distiller=dict(
        student_recorders=dict(pooled=pooled),
        teacher_recorders=dict(pooled=pooled),
    ),
    adversary=dict(
        pairs=dict(
            pooled=dict(
                student='pooled',
                teacher='pooled',
                channels=64,
                student_channels=16,
                match_weight=1.0,
            )
        )
    ),
)
