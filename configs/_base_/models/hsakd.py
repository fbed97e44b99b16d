# HSAKD distillation (Yang et al., IJCAI 2021): KL(T=3) between teacher and
# student joint logits of every auxiliary branch and between their backbone
# logits, all on the 4N rotated views; weights 1. The student's own CE on
# upright views comes from its SelfSupervisedClassifier (use
# branch_loss_weight=0 there). One distiller per branch count:
# hsakd_distiller_2branches (the Fashion-MNIST CPU pair),
# hsakd_distiller_3branches, hsakd_distiller_4branches.


def _hsakd_distiller(num_branches, tau=3):
    sources = dict(logits='head.fc')
    sources.update(
        {f'branch{i}': f'ss_branches.{i}.fc' for i in range(num_branches)}
    )
    recorders = {
        name: dict(type='ModuleOutputs', source=source)
        for name, source in sources.items()
    }
    return dict(
        type='SelfSupervisedDistiller',
        student_recorders=recorders,
        teacher_recorders=recorders,
        distill_losses={
            f'loss_{name}': dict(type='KLDivergence', tau=tau, loss_weight=1)
            for name in sources
        },
        loss_forward_mappings={
            f'loss_{name}': dict(
                preds_S=dict(from_student=True, recorder=name),
                preds_T=dict(from_student=False, recorder=name),
            )
            for name in sources
        },
    )


hsakd_distiller_2branches = _hsakd_distiller(2)
hsakd_distiller_3branches = _hsakd_distiller(3)
hsakd_distiller_4branches = _hsakd_distiller(4)
