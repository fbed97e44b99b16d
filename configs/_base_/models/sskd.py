# SSKD (Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV
# 2020), as its official code computes the student's loss on the 4N views:
# 0.1 CE (sskd_student_loss, on upright views) + 0.9 KD(T=4) on upright
# views + 2.7 KD(T=4) on rotated views whose label the teacher ranks well
# (ratio_tf 1.0: all) + 10 KL(T=0.5) between the rotated-vs-upright
# similarity matrices of the projections, rows ranked by the teacher
# (ratio_ss 0.75). Teacher and student are SSKDClassifiers; the labels
# reach the rotated-view term through a recorder on the student's loss.
sskd_student_loss = dict(type='CrossEntropyLoss', loss_weight=0.1)

_student_loss_method = (
    'mmsamkd.models.classifiers.sskd_classifier.SSKDClassifier.loss'
)
_outputs = dict(
    logits=dict(type='ModuleOutputs', source='head.fc'),
    projections=dict(type='ModuleOutputs', source='proj_head'),
)


def _from(recorder, student, **kwargs):
    return dict(from_student=student, recorder=recorder, **kwargs)


sskd_distiller = dict(
    type='SSKDDistiller',
    student_recorders=dict(
        _outputs,
        inputs=dict(type='MethodInputs', source=_student_loss_method),
    ),
    teacher_recorders=_outputs,
    distill_losses=dict(
        loss_kd=dict(
            type='RotatedViewsKD', views='upright', tau=4, loss_weight=0.9
        ),
        loss_tf=dict(
            type='RotatedViewsKD',
            views='rotated',
            tau=4,
            loss_weight=2.7,
            wrong_keep_ratio=1.0,
        ),
        loss_ss=dict(
            type='SimilarityKD', tau=0.5, loss_weight=10, wrong_keep_ratio=0.75
        ),
    ),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=_from('logits', True), preds_T=_from('logits', False)
        ),
        loss_tf=dict(
            preds_S=_from('logits', True),
            preds_T=_from('logits', False),
            # SSKDClassifier.loss(inputs, data_samples): argument 1
            data_samples=_from('inputs', True, data_idx=1),
        ),
        loss_ss=dict(
            feats_S=_from('projections', True),
            feats_T=_from('projections', False),
        ),
    ),
)
