# SAMKD study (Fashion-MNIST CPU pair): the default config with
# matching-aware discriminators (issue 31's design). Each judged pair's
# discriminator also sees a condition that identifies the image, the
# teacher's pooled output one scale shallower (the stage before the
# branch's tap for feat0 and feat1, the pooled final feature for the
# logits), and learns to accept only the teacher's own output for that
# image: the student's output and another image's teacher output are fake.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

# teacher stage outputs (16 and 32 channels): the conditions of feat0, feat1
stage_outputs = {
    f'stage{i}': dict(type='ModuleOutputs', source=f'backbone.stages.{i}')
    for i in (0, 1)
}
conditions = dict(
    feat0=dict(teacher='stage0', channels=16),
    feat1=dict(teacher='stage1', channels=32),
    logits=dict(teacher='pooled', channels=64),
)

model = dict(
    distiller=dict(teacher_recorders=stage_outputs),
    adversary=dict(
        pairs={
            name: dict(condition=condition)
            for name, condition in conditions.items()
        }
    ),
)
