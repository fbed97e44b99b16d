"""Fashion-MNIST read in place from idx files, compressed or not."""

import gzip
import hashlib
import os.path as osp
import zlib
from typing import List, Optional, Tuple

import numpy as np
from mmpretrain.datasets import FashionMNIST
from mmpretrain.registry import DATASETS

from ..errors import ConfigError, DatasetFileError, DatasetNotFoundError

# Where Debian's ``dataset-fashion-mnist`` package installs the files.
DEBIAN_FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist'

_SPLIT_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'val': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}

_IDX_DTYPES = {0x08: np.uint8}

# sha256 of each file's values (the bytes after the idx header), as
# published by Zalando Research. MNIST's handwritten digits come in files
# of the same names, shapes and format: only the content tells them apart.
PUBLISHED_SHA256 = {
    'train-images-idx3-ubyte': (
        '2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012'
    ),
    'train-labels-idx1-ubyte': (
        '657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7'
    ),
    't10k-images-idx3-ubyte': (
        'c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a'
    ),
    't10k-labels-idx1-ubyte': (
        '3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9'
    ),
}


# Images in each pair of files, as published.
PUBLISHED_COUNTS = {'train': 60000, 'test': 10000}


def split_positions(
    split: str, val_size: int = 0, count: Optional[int] = None
) -> Tuple[str, int, int]:
    """The files (``'train'`` or ``'test'``) that ``split`` reads, and
    the positions ``[first, end)`` of its images in them: split ``'val'``
    is the last ``val_size`` training images, ``'train'`` the ones before.
    ``count``: the images in those files, if not the published count."""
    files = 'test' if split == 'test' else 'train'
    count = PUBLISHED_COUNTS[files] if count is None else count
    cut = count - int(val_size) if files == 'train' else count
    if split == 'val':
        return files, cut, count
    return files, 0, cut


def is_published(stem: str, values: np.ndarray) -> bool:
    """Whether ``values`` (read from the file ``stem``) are Fashion-MNIST's
    as published."""
    digest = hashlib.sha256(np.ascontiguousarray(values).data).hexdigest()
    return digest == PUBLISHED_SHA256[stem]


def read_idx(path: str) -> np.ndarray:
    """Read an idx file (LeCun's MNIST format), gzipped or plain.

    Args:
        path (str): File path; a ``.gz`` suffix selects gzip decoding.

    Returns:
        np.ndarray: uint8 array whose shape is the one stored in the header.
    """
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (EOFError, OSError, zlib.error) as error:
        raise DatasetFileError(
            f'{path} cannot be decompressed ({type(error).__name__}: '
            f'{error}): the file is truncated or corrupt. Reinstall it '
            '(apt-get install --reinstall -y dataset-fashion-mnist) or '
            'copy it again.'
        ) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetFileError(
            f'{path} is not an idx file (bad magic number); point data_root '
            'to the Fashion-MNIST idx files'
        )
    dtype, ndim = data[2], data[3]
    if dtype not in _IDX_DTYPES:
        raise DatasetFileError(
            f'{path}: idx element type 0x{dtype:02x} is not '
            'supported (Fashion-MNIST uses 0x08, uint8)'
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], 'big') for i in range(ndim)
    )
    offset = 4 + 4 * ndim
    array = np.frombuffer(data, dtype=_IDX_DTYPES[dtype], offset=offset)
    if array.size != int(np.prod(shape)):
        raise DatasetFileError(
            f'{path}: header promises shape {shape} but the '
            f'file holds {array.size} values: it is truncated. Reinstall '
            'or copy it again.'
        )
    return array.reshape(shape)


def find_idx_file(root: str, stem: str) -> Optional[str]:
    """Path of ``stem`` or ``stem.gz`` under ``root``, or None."""
    for name in (stem + '.gz', stem):
        path = osp.join(root, name)
        if osp.isfile(path):
            return path
    return None


@DATASETS.register_module()
class LocalFashionMNIST(FashionMNIST):
    """Fashion-MNIST from idx files where they lie, never downloaded.

    MMPretrain's ``FashionMNIST`` only reads uncompressed files and picks
    them by ``test_mode`` rather than ``split``. This subclass reads ``.gz``
    or plain idx files in place and selects them by ``split``; ``test_mode``
    keeps its usual meaning (no refetch of broken samples).

    A validation split for model selection is carved from the training
    images: with ``val_size=V``, split ``'val'`` is the last ``V`` training
    images and split ``'train'`` the ones before them, so that the two never
    overlap (``indices`` then subsets what is left of ``'train'``). The test
    split is never touched by ``val_size``.

    Fashion-MNIST: Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image
    Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747.

    Args:
        data_root (str): Folder holding the four idx files. Defaults to
            where Debian's ``dataset-fashion-mnist`` package puts them.
        split (str): ``'train'`` (60000 images less ``val_size``),
            ``'val'`` (the last ``val_size`` training images) or ``'test'``
            (10000). Defaults to ``'train'``.
        val_size (int): Training images held out as the validation split.
            Set the same value on the train and val datasets. Defaults to 0.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``indices``, ``test_mode`` ...).
    """

    # each read is checked: a run record need not fingerprint the folder
    CHECKS_PUBLISHED_FILES = True

    def __init__(
        self,
        data_root: str = DEBIAN_FASHION_MNIST_ROOT,
        split: str = 'train',
        val_size: int = 0,
        **kwargs,
    ) -> None:
        kwargs.pop('download', None)  # never download
        if split not in _SPLIT_FILES:
            raise ConfigError(
                f'LocalFashionMNIST split must be one of '
                f'{sorted(_SPLIT_FILES)}, got {split!r}'
            )
        if split == 'val' and not val_size > 0:
            raise ConfigError(
                "LocalFashionMNIST split='val' needs val_size > 0: the "
                'number of training images held out for validation (set '
                'the same val_size on the train dataset)'
            )
        self.val_size = int(val_size)
        self.split_name = split
        # MMPretrain's MNIST accepts only train/test; the split it sees
        # only matters to its own file lookup, which load_data_list replaces
        super().__init__(
            data_root=data_root,
            split='train' if split == 'val' else split,
            download=False,
            **kwargs,
        )
        self.split = split

    def _split_paths(self):
        root = self.data_prefix['root']
        paths = [
            find_idx_file(root, stem) for stem in _SPLIT_FILES[self.split]
        ]
        if None in paths:
            missing = [
                stem
                for stem, path in zip(_SPLIT_FILES[self.split], paths)
                if path is None
            ]
            raise DatasetNotFoundError(
                f'Fashion-MNIST {self.split} files {missing} (.gz or plain) '
                f'not found in {root!r}. Install them with `apt-get install '
                '-y dataset-fashion-mnist` (files land in '
                f'{DEBIAN_FASHION_MNIST_ROOT}) or set data_root to the '
                'folder that holds them.'
            )
        return paths

    def load_data_list(self) -> List[dict]:
        images_path, labels_path = self._split_paths()
        images = read_idx(images_path)
        labels = read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetFileError(
                f'{images_path} and {labels_path} do not form an image set: '
                f'shapes {images.shape} and {labels.shape}'
            )
        bad = np.flatnonzero(labels >= len(self.CLASSES))
        if bad.size:
            raise DatasetFileError(
                f'{labels_path}: label {int(labels[bad[0]])} at index '
                f'{int(bad[0])} is outside the {len(self.CLASSES)} classes '
                f'({bad.size} such labels); the file is corrupt or not '
                'Fashion-MNIST.'
            )
        for path, stem, values in zip(
            (images_path, labels_path),
            _SPLIT_FILES[self.split],
            (images, labels),
        ):
            if not is_published(stem, values):
                raise DatasetFileError(
                    f'{path} is not the Fashion-MNIST file its name says: '
                    'its values differ from the published ones. data_root '
                    'points to another dataset in the same format (MNIST '
                    'digits come in files of these names) or to a modified '
                    'copy. Point data_root to Fashion-MNIST (`apt-get '
                    'install -y dataset-fashion-mnist` puts it in '
                    f'{DEBIAN_FASHION_MNIST_ROOT}).'
                )
        if self.val_size and self.split_name != 'test':
            if self.val_size >= len(labels):
                raise ConfigError(
                    f'val_size={self.val_size} leaves no training image '
                    f'out of {len(labels)} in {images_path}'
                )
            _, first, end = split_positions(
                self.split_name, self.val_size, len(labels)
            )
            images, labels = images[first:end], labels[first:end]
        return [
            {'img': img, 'gt_label': int(label)}
            for img, label in zip(images, labels)
        ]
