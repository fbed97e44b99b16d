# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with the least-squares GAN objective (Mao et al., ICCV 2017) instead of
# BCE.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(adversary=dict(gan_type='lsgan'))
