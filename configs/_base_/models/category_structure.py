# CSKD (Chen et al., ECCV 2020) and ICAKD (Zhang and Zhang, 2023) on
# MMRazor's SingleTeacherDistill. Both read, from teacher and student, the
# map the classifier pools (backbone.post), the logits (head.fc) and the
# classifier weight (head.fc.weight); the labels come from a recorder on
# the student's loss. The student's map passes a 1x1 conv (connector
# 'proj') to the teacher's width. A config sets the widths and classes:
#   distiller=dict(_base_.cskd_distiller,
#                  connectors=dict(proj=dict(_base_.proj_connector,
#                                            in_channel=S, out_channel=T)),
#                  distill_losses=dict(loss_cskd=dict(
#                      _base_.cskd_distiller.distill_losses.loss_cskd,
#                      num_classes=K)))
# The student's own CE has weight 0.9 (category_student_loss).
category_student_loss = dict(type='CrossEntropyLoss', loss_weight=0.9)
proj_connector = dict(
    type='ConvModuleConnector',
    in_channel=None,
    out_channel=None,
    kernel_size=1,
    bias=False,
    norm_cfg=None,
    act_cfg=None,
)

_recorders = dict(
    map=dict(type='ModuleOutputs', source='backbone.post'),
    logits=dict(type='ModuleOutputs', source='head.fc'),
    fc_weight=dict(type='Parameter', source='head.fc.weight'),
)
_student_recorders = dict(
    _recorders,
    inputs=dict(
        type='MethodInputs',
        source='mmpretrain.models.classifiers.image.ImageClassifier.loss',
    ),
)


def _from(recorder, student, **kwargs):
    return dict(from_student=student, recorder=recorder, **kwargs)


_structure_inputs = dict(
    preds_S=_from('logits', True),
    preds_T=_from('logits', False),
    feats_T=_from('map', False),
    # ImageClassifier.loss(inputs, data_samples): argument 1
    data_samples=_from('inputs', True, data_idx=1),
)

cskd_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=_student_recorders,
    teacher_recorders=_recorders,
    connectors=dict(proj=proj_connector),
    distill_losses=dict(
        loss_cskd=dict(type='CategoryStructureLoss', num_classes=None)
    ),
    loss_forward_mappings=dict(
        loss_cskd=dict(
            _structure_inputs,
            feats_S=_from('map', True, connector='proj'),
        )
    ),
)

# ICAKD: the CAM loss (weight 1) and the category structure of
# CAM-weighted pooled features over a 1024-feature memory bank; set
# num_classes and bank_channels (the teacher's width) on loss_structure.
icakd_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=_student_recorders,
    teacher_recorders=_recorders,
    connectors=dict(proj=proj_connector),
    distill_losses=dict(
        loss_cam=dict(type='CAMLoss', loss_weight=1.0),
        loss_structure=dict(
            type='CAMCategoryStructureLoss',
            num_classes=None,
            bank_channels=None,
            bank_size=1024,
        ),
    ),
    loss_forward_mappings=dict(
        loss_cam=dict(
            feats_S=_from('map', True),
            weight_S=_from('fc_weight', True),
            feats_T=_from('map', False),
            weight_T=_from('fc_weight', False),
            data_samples=_from('inputs', True, data_idx=1),
        ),
        loss_structure=dict(
            _structure_inputs,
            feats_S=_from('map', True),
            proj_S=_from('map', True, connector='proj'),
            weight_S=_from('fc_weight', True),
            weight_T=_from('fc_weight', False),
        ),
    ),
)
