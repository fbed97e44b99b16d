# SAMKD study (Fashion-MNIST CPU pair): patch discriminators on the feature
# maps at their own scales instead of MLPs on pooled branch features. The
# maps are the outputs of the two tapped backbone stages, the inputs of
# the branches: stage 1 (14x14; teacher 32 channels, student 8) and stage
# 2 (7x7; 64 and 16). A 1x1 convolution maps the student's channels to the
# teacher's; every position is judged. Same stages, weights and logits
# discriminator as the default config (samkd-nomatch).
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

maps = dict(
    map1=dict(type='ModuleOutputs', source='backbone.stages.1'),
    map2=dict(type='ModuleOutputs', source='backbone.stages.2'),
)
model = dict(
    distiller=dict(student_recorders=maps, teacher_recorders=maps),
    adversary=dict(
        pairs=dict(
            _delete_=True,
            map1=dict(
                student='map1',
                teacher='map1',
                channels=32,
                student_channels=8,
                spatial=True,
                discriminator=dict(type='PatchDiscriminator'),
            ),
            map2=dict(
                student='map2',
                teacher='map2',
                channels=64,
                student_channels=16,
                spatial=True,
                discriminator=dict(type='PatchDiscriminator'),
            ),
            logits=dict(student='logits', teacher='logits', channels=10),
        )
    ),
)

custom_hooks = [
    dict(
        type='mmrazor.AdversarialStageHook',
        stages=[
            dict(begin=0),
            dict(begin=2, weights=dict(map1=0.1)),
            dict(begin=4, weights=dict(map1=0.1, map2=0.1)),
            dict(begin=6, weights=dict(map1=0.1, map2=0.1, logits=0.1)),
        ],
    )
]
