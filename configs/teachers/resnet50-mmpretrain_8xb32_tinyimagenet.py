# Plain CE teacher on Tiny-ImageNet: MMPretrain's ImageNet ResNet-50 and
# its schedule at 64x64 (configs/_base_/mmpretrain/
# resnet50_8xb32_tinyimagenet.py).
_base_ = ['../_base_/mmpretrain/resnet50_8xb32_tinyimagenet.py']
