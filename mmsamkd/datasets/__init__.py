from .fashion_mnist import (
    DEBIAN_FASHION_MNIST_ROOT,
    LocalFashionMNIST,
    read_idx,
)
from .tiny_imagenet import TinyImageNet

__all__ = [
    'LocalFashionMNIST',
    'TinyImageNet',
    'read_idx',
    'DEBIAN_FASHION_MNIST_ROOT',
]
