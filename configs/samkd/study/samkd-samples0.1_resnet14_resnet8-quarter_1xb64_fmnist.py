# SAMKD study (Fashion-MNIST CPU pair): samkd-samples0.3 with discrepancy
# samples one signed-gradient step of 0.1 (normalised units) away.
_base_ = ['./samkd-samples0.3_resnet14_resnet8-quarter_1xb64_fmnist.py']

model = dict(samples=dict(epsilon=0.1))
