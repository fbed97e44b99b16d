# SAMKD on the CIFAR and Tiny-ImageNet pairs: samkd.py's distillers plus the
# adversary (pooled branch features and logits) and the 240-epoch stage
# hook, for 3 or 4 branches. Kept out of samkd.py so that the Fashion-MNIST
# pair, which spells its own, does not carry them.
_base_ = ['./samkd.py']


def _adversary(num_branches):
    """Discriminators on the pooled branch features and on the logits,
    BCE, one MLP each. SAMKD reads each pair's widths from the layers its
    recorders read (a linear connector maps the student's branch features
    where they are narrower or wider)."""
    pairs = {
        f'feat{i}': dict(student=f'feat{i}', teacher=f'feat{i}')
        for i in range(num_branches)
    }
    pairs['logits'] = dict(student='logits', teacher='logits')
    return dict(
        type='SAMKDAdversary',
        gan_type='bce',
        discriminator=dict(type='MLPDiscriminator', hidden_channels=(256,)),
        pairs=pairs,
    )


samkd_adversary_3branches = _adversary(3)
samkd_adversary_4branches = _adversary(4)
samkd_stage_hook_3branches = dict(
    type='mmrazor.AdversarialStageHook',
    stages=_base_.samkd_stages_240e_3branches,
)
samkd_stage_hook_4branches = dict(
    type='mmrazor.AdversarialStageHook',
    stages=_base_.samkd_stages_240e_4branches,
)
