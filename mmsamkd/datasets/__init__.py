from .cifar import LocalCIFAR10, LocalCIFAR100
from .fashion_mnist import (
    DEBIAN_FASHION_MNIST_ROOT,
    LocalFashionMNIST,
    read_idx,
)
from .tiny_imagenet import TinyImageNet
from .transforms import RotatedViews

__all__ = [
    'LocalCIFAR10',
    'LocalCIFAR100',
    'LocalFashionMNIST',
    'RotatedViews',
    'TinyImageNet',
    'read_idx',
    'DEBIAN_FASHION_MNIST_ROOT',
]
