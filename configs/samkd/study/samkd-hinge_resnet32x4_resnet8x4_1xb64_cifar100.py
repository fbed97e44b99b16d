# SAMKD ablation on resnet32x4 -> resnet8x4, CIFAR-100: the hinge GAN
# objective.
# Everything else as in samkd_resnet32x4_resnet8x4_1xb64_cifar100.py.
_base_ = ['../samkd_resnet32x4_resnet8x4_1xb64_cifar100.py']

model = dict(adversary=dict(gan_type='hinge'))
