# SAMKD distillers: HSAKD's (KL(T=3) on logits and every branch) plus
# recorders of each branch's pooled feature (the input of its fc), which
# the adversary's feature discriminators compare: featN for branch N.
_base_ = ['./hsakd.py']


def _with_branch_features(distiller, num_branches):
    features = {
        f'feat{i}': dict(type='ModuleInputs', source=f'ss_branches.{i}.fc')
        for i in range(num_branches)
    }
    recorders = dict(distiller['student_recorders'], **features)
    return dict(
        distiller, student_recorders=recorders, teacher_recorders=recorders
    )


samkd_distiller_3branches = _with_branch_features(
    _base_.hsakd_distiller_3branches, 3
)
samkd_distiller_4branches = _with_branch_features(
    _base_.hsakd_distiller_4branches, 4
)

# SAMKD's train_step runs two optimizers: each part is wrapped on its own.
model_wrapper_cfg = dict(type='mmrazor.SAMKDDistributedDataParallel')
