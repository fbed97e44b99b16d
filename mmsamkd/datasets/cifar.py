"""CIFAR-10 and CIFAR-100 from the official pickles, with offline errors.

MMPretrain's ``CIFAR10`` / ``CIFAR100`` download the archive when a file is
missing or fails its md5 check; without network that ends in a
``URLError`` traceback that does not say where the files were looked for.
These subclasses read the same files in the same way (MMPretrain's md5
check included) but never download: a missing or damaged file is a
one-line error naming the folder, the files and where to get them.
"""

import os.path as osp
from typing import List

from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.datasets import cifar as mmpretrain_cifar
from mmpretrain.registry import DATASETS

from ..errors import DatasetFileError, DatasetNotFoundError


class OfflineCIFARMixin:
    """Check the official files before MMPretrain reads them."""

    # each read is checked: a run record need not fingerprint the folder
    CHECKS_PUBLISHED_FILES = True

    def __init__(self, *args, download: bool = False, **kwargs) -> None:
        super().__init__(*args, download=download, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not self.download:
            self.check_files()
        return super().load_data_list()

    def check_files(self) -> None:
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        entries = [
            *self.train_list,
            *self.test_list,
            (self.meta['filename'], self.meta.get('md5')),
        ]
        how = (
            f'extract the official {self.filename} ({self.url}) so that '
            f'{self.base_folder}/ lies in data_root, or set '
            'download=True where there is network'
        )
        missing = [
            n for n, _ in entries if not osp.isfile(osp.join(folder, n))
        ]
        if missing:
            raise DatasetNotFoundError(
                f'{type(self).__name__}: {missing} not found in {folder!r}; '
                + how
            )
        for name, md5 in entries:
            path = osp.join(folder, name)
            # through MMPretrain's module: its md5 check is the one it uses
            if md5 and not mmpretrain_cifar.check_md5(path, md5):
                raise DatasetFileError(
                    f'{path} does not have the official md5 {md5}: it is '
                    f'truncated, damaged or not the official file; {how}'
                )


@DATASETS.register_module()
class LocalCIFAR10(OfflineCIFARMixin, CIFAR10):
    """MMPretrain's ``CIFAR10``, never downloaded (see the mixin)."""


@DATASETS.register_module()
class LocalCIFAR100(OfflineCIFARMixin, CIFAR100):
    """MMPretrain's ``CIFAR100``, never downloaded (see the mixin)."""
