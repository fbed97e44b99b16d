# LightSKD (Xu et al., "Lightweight Self-Knowledge Distillation with
# Multi-source Information Fusion", 2023), two teacher-free losses for
# MMRazor's SelfDistill:
# - DRG: the adapter's prediction (AdapterClassifier, adapter.fc),
#   detached, supervises the final output: 0.2 KL(T=4);
# - DSR: this batch's sorted logits learn the previous batch's: 1 KL(T=4).
# The CE terms (classifier, adapter) come from the student classifier.
_logits = dict(type='ModuleOutputs', source='head.fc')
_drg = dict(
    recorder=dict(type='ModuleOutputs', source='adapter.fc'),
    loss=dict(type='KLDivergence', tau=4, loss_weight=0.2),
    mapping=dict(
        preds_S=dict(from_student=True, recorder='logits'),
        preds_T=dict(from_student=False, recorder='adapter_logits'),
    ),
)
_dsr = dict(
    loss=dict(type='PreviousBatchSortedKD', tau=4, loss_weight=1.0),
    mapping=dict(preds_S=dict(from_student=True, recorder='logits')),
)

drg_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(logits=_logits),
    teacher_recorders=dict(adapter_logits=_drg['recorder']),
    distill_losses=dict(loss_drg=_drg['loss']),
    loss_forward_mappings=dict(loss_drg=_drg['mapping']),
)
dsr_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(logits=_logits),
    distill_losses=dict(loss_dsr=_dsr['loss']),
    loss_forward_mappings=dict(loss_dsr=_dsr['mapping']),
)
drg_dsr_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(logits=_logits),
    teacher_recorders=dict(adapter_logits=_drg['recorder']),
    distill_losses=dict(loss_drg=_drg['loss'], loss_dsr=_dsr['loss']),
    loss_forward_mappings=dict(
        loss_drg=_drg['mapping'], loss_dsr=_dsr['mapping']
    ),
)
