# The CPU benchmark data: the first 5000 Fashion-MNIST training images
# (about 500 per class; KD gains grow as data shrinks), evaluated on the
# full 10000-image test split. The last 10000 training images are held out
# as the validation split (val_size), on which every setting is chosen:
# benchmarks/fmnist_methods.py --split val evaluates there instead.
_base_ = ['./fashion_mnist.py']

val_size = 10000
train_dataloader = dict(dataset=dict(indices=5000, val_size=val_size))
val_dataloader = dict(dataset=dict(val_size=val_size))
test_dataloader = val_dataloader
