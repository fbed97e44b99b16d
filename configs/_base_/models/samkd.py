# SAMKD distillers: HSAKD's (KL(T=3) on logits and every branch) plus
# recorders of each branch's pooled feature (the input of its fc), featN for
# branch N, and of the backbone's pooled feature (the input of head.fc),
# pooled: the multi-scale features that the adversary judges (and, in the
# matching variants, matches).
_base_ = ['./hsakd.py']


def _with_branch_features(distiller, num_branches):
    features = {
        f'feat{i}': dict(type='ModuleInputs', source=f'ss_branches.{i}.fc')
        for i in range(num_branches)
    }
    features['pooled'] = dict(type='ModuleInputs', source='head.fc')
    recorders = dict(distiller['student_recorders'], **features)
    return dict(
        distiller, student_recorders=recorders, teacher_recorders=recorders
    )


samkd_distiller_2branches = _with_branch_features(
    _base_.hsakd_distiller_2branches, 2
)
samkd_distiller_3branches = _with_branch_features(
    _base_.hsakd_distiller_3branches, 3
)
samkd_distiller_4branches = _with_branch_features(
    _base_.hsakd_distiller_4branches, 4
)


def _stages_240e(num_branches, weight=0.1):
    """Warm-up (HSAKD's losses only) to epoch 30, feature
    discriminators shallow to deep from 30 (one more every 15 epochs for 3
    branches, every 10 for 4), the logits discriminator too from 90; every
    adversarial weight 0.1, as the Fashion-MNIST study chose."""
    feats = [f'feat{i}' for i in range(num_branches)]
    step = 15 if num_branches == 3 else 10
    stages = [dict(begin=0)]
    for k in range(num_branches):
        stages.append(
            dict(
                begin=30 + step * k,
                weights={f: weight for f in feats[: k + 1]},
            )
        )
    stages.append(
        dict(begin=90, weights=dict({f: weight for f in feats}, logits=weight))
    )
    return stages


samkd_stages_240e_3branches = _stages_240e(3)
samkd_stages_240e_4branches = _stages_240e(4)

# SAMKD's train_step runs two optimizers: each part is wrapped on its own.
model_wrapper_cfg = dict(type='mmrazor.SAMKDDistributedDataParallel')
