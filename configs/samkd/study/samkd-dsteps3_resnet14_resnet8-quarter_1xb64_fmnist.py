# SAMKD study (Fashion-MNIST CPU pair): the default config (samkd-nomatch)
# with 3 discriminator steps per student step instead of 1, so that the
# discriminators keep up with the student.
_base_ = ['../samkd_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(discriminator_steps=3)
