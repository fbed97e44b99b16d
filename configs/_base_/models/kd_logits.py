# Hinton et al., "Distilling the Knowledge in a Neural Network" (NIPS 2014
# workshop): loss = 0.1 CE + 0.9 KL(T=4) on logits, from MMRazor built-ins.
# Use kd_student_loss as the student head's loss and kd_logits_distiller as
# the SingleTeacherDistill distiller.
kd_student_loss = dict(type='CrossEntropyLoss', loss_weight=0.1)

kd_logits_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        logits=dict(type='ModuleOutputs', source='head.fc')
    ),
    teacher_recorders=dict(
        logits=dict(type='ModuleOutputs', source='head.fc')
    ),
    distill_losses=dict(
        loss_kd=dict(type='KLDivergence', tau=4, loss_weight=0.9)
    ),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'),
        )
    ),
)
