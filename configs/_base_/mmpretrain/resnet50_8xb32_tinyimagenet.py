# MMPretrain's ImageNet ResNet-50 recipe (the model and schedule that
# resnet50_8xb32_in1k inherits: 100 epochs, SGD lr 0.1 for batch 8 x 32,
# x0.1 at 30/60/90) on Tiny-ImageNet's 64x64 images (this repository's
# dataset base: 200 classes, crop 64 pad 4 + flip) with its runtime. At
# this input the ImageNet stem leaves 16x16 maps to layer1 and 2x2 to
# layer4. The distillation configs built on it change only the algorithm.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../datasets/tiny_imagenet.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../default_runtime.py',
]

model = dict(head=dict(num_classes=200))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
