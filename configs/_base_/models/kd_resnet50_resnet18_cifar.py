# Hinton KD (MMRazor built-in) for ResNet50 -> ResNet18 (CIFAR stems):
# 0.1 CE + 0.9 KL(T=4) on logits. Leaf configs set data_preprocessor,
# teacher_ckpt and the class count.
_base_ = ['./resnet_cifar.py']

model = dict(
    _scope_='mmrazor',
    type='SingleTeacherDistill',
    architecture=dict(
        _base_.resnet18_cifar,
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.1),
        ),
    ),
    teacher=_base_.resnet50_cifar,
    distiller=dict(
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
    ),
)
