"""The data a run reads, as a fingerprint of its folders.

A run's record keeps, beside the checksums of the checkpoints it starts
from, a fingerprint of each ``data_root`` its training and validation
read: the path and size of every file under it. ``tools/compare.py``
reuses a run only while those folders hold the same files, so a run on a
few files written for a trial, or on a partial copy of Tiny-ImageNet, is
not reported as a run on the full data put in the same place later.
Fashion-MNIST and CIFAR (``LocalFashionMNIST``, ``LocalCIFAR10/100``)
are left out: they check their files against the published checksums
each time they read them, and an archive left beside them or removed
later is no other data. Tiny-ImageNet and MMPretrain's own datasets are
not checked, and the fingerprint is what notices a change there.
Sizes are read, not contents: a pass over 120000 files takes half a
second on a local disk (one ``stat`` a file: longer on a network file
system), and a copy of the data (new file times) is the same data.
"""

import hashlib
import os
import os.path as osp
from typing import Any, Dict

from .evaluation_settings import wrapped_datasets

# the loaders whose data a run's reported numbers come from
_LOADERS = ('train_dataloader', 'val_dataloader')


def folder_fingerprint(folder: str) -> str:
    """sha256 over the relative path and size of every file under
    ``folder`` (symbolic links followed, each folder once)."""
    digest = hashlib.sha256()
    seen = set()
    for path, subfolders, files in os.walk(folder, followlinks=True):
        real = osp.realpath(path)
        if real in seen:  # a link back up the tree
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders.sort()
        relative = osp.relpath(path, folder)
        for name in sorted(files):
            try:
                size = os.stat(osp.join(path, name)).st_size
            except OSError:  # a broken link
                size = -1
            digest.update(f'{relative}/{name}\0{size}\0'.encode())
    return digest.hexdigest()


def _checks_its_files(dataset: Any) -> bool:
    """Whether the class of ``dataset`` checks the files it reads
    against published checksums (``CHECKS_PUBLISHED_FILES``)."""
    from mmpretrain.registry import DATASETS

    kind = dataset.get('type')
    if isinstance(kind, str):  # None where no registry holds it
        kind = DATASETS.get(kind)
    return bool(getattr(kind, 'CHECKS_PUBLISHED_FILES', False))


def data_roots(cfg: Any) -> Dict[str, str]:
    """``{role: folder}`` of the existing ``data_root`` folders that the
    training and validation datasets of ``cfg`` read (but those whose
    class checks its files), e.g.
    ``{'train_dataloader.dataset.data_root': 'data/tiny-imagenet-200'}``
    (``[1]``, ``[2]`` ... after the first root of a wrapper's datasets);
    a folder is named once, by the first loader that reads it."""
    roots = {}
    for loader in _LOADERS:
        settings = cfg.get(loader) or {}
        dataset = settings.get('dataset') if hasattr(settings, 'get') else None
        found = [
            str(each['data_root'])
            for each in wrapped_datasets(dataset)
            if each.get('data_root') and not _checks_its_files(each)
        ]
        for index, root in enumerate(dict.fromkeys(found)):
            if osp.isdir(root) and root not in roots.values():
                suffix = f'[{index}]' if index else ''
                roots[f'{loader}.dataset.data_root{suffix}'] = root
    return roots
