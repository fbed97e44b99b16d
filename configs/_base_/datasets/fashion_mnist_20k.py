# The CPU quick-start data: the first 20000 Fashion-MNIST training images
# (about 2000 per class), evaluated on the full 10000-image test split.
_base_ = ['./fashion_mnist.py']

train_dataloader = dict(dataset=dict(indices=20000))
