"""Tiny-ImageNet (200 classes, 64x64) from the standard folder layout."""

import os
import os.path as osp
from collections import Counter
from typing import List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..errors import ConfigError, DatasetFileError, DatasetNotFoundError

_GET_IT = (
    'Get it from the Tiny ImageNet page of Stanford CS231n '
    '(tiny-imagenet-200.zip) and unzip it there, or set data_root.'
)


@DATASETS.register_module()
class TinyImageNet(BaseDataset):
    """Tiny-ImageNet in the layout of the official ``tiny-imagenet-200.zip``.

    ``data_root`` holds ``wnids.txt`` (one WordNet id per line; its order
    gives the label), ``train/<wnid>/images/*.JPEG`` and ``val/images/*.JPEG``
    with ``val/val_annotations.txt`` (tab-separated file name and wnid).
    ``words.txt``, when present, gives readable class names. The unlabelled
    ``test`` folder is not supported.

    Le and Yang, "Tiny ImageNet Visual Recognition Challenge", CS231n, 2015.

    Args:
        data_root (str): The ``tiny-imagenet-200`` folder.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    SPLITS = ('train', 'val')

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        if split not in self.SPLITS:
            raise ConfigError(
                f'TinyImageNet split must be one of '
                f'{self.SPLITS}, got {split!r}'
            )
        self.split = split
        wnids_file = osp.join(data_root, 'wnids.txt')
        if not osp.isfile(wnids_file):
            raise DatasetNotFoundError(
                f'Tiny-ImageNet not found: {wnids_file!r} does not exist. '
                + _GET_IT
            )
        with open(wnids_file, encoding='utf-8') as f:
            self.wnids = [line.strip() for line in f if line.strip()]
        twice = sorted(w for w, n in Counter(self.wnids).items() if n > 1)
        if twice:  # one class under two labels, its images read twice
            raise DatasetFileError(
                f'{wnids_file} lists {twice[0]!r} more than once '
                f'({len(twice)} such wnids). ' + _GET_IT
            )
        metainfo = kwargs.pop('metainfo', None) or {
            'classes': self._class_names(data_root)
        }
        super().__init__(
            ann_file='', data_root=data_root, metainfo=metainfo, **kwargs
        )

    def _class_names(self, data_root):
        words_file = osp.join(data_root, 'words.txt')
        if not osp.isfile(words_file):
            return tuple(self.wnids)
        words = {}
        with open(words_file, encoding='utf-8') as f:
            for line in f:
                wnid, _, name = line.rstrip('\n').partition('\t')
                words[wnid] = name.split(',')[0].strip() or wnid
        return tuple(words.get(wnid, wnid) for wnid in self.wnids)

    def _require_dir(self, path):
        if not osp.isdir(path):
            raise DatasetNotFoundError(
                f'Tiny-ImageNet {self.split} split incomplete: {path!r} is '
                'not a folder. ' + _GET_IT
            )

    def load_data_list(self) -> List[dict]:
        label_of = {wnid: i for i, wnid in enumerate(self.wnids)}
        if self.split == 'train':
            return self._load_train(label_of)
        return self._load_val(label_of)

    def _load_train(self, label_of):
        data_list = []
        for wnid in self.wnids:
            image_dir = osp.join(self.data_root, 'train', wnid, 'images')
            self._require_dir(image_dir)
            for name in sorted(os.listdir(image_dir)):
                data_list.append(
                    {
                        'img_path': osp.join(image_dir, name),
                        'gt_label': label_of[wnid],
                    }
                )
        return data_list

    def _load_val(self, label_of):
        image_dir = osp.join(self.data_root, 'val', 'images')
        self._require_dir(image_dir)
        ann_file = osp.join(self.data_root, 'val', 'val_annotations.txt')
        if not osp.isfile(ann_file):
            raise DatasetNotFoundError(
                f'Tiny-ImageNet val labels not found: {ann_file!r} does not '
                'exist. ' + _GET_IT
            )
        data_list = []
        with open(ann_file, encoding='utf-8') as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = line.split('\t')
                if len(fields) < 2:
                    raise DatasetFileError(
                        f'{ann_file}:{line_no}: expected an image name and '
                        f'its wnid separated by a tab, got {line.strip()!r}. '
                        + _GET_IT
                    )
                name, wnid = fields[:2]
                if wnid not in label_of:
                    raise DatasetFileError(
                        f'{ann_file}:{line_no}: wnid {wnid!r} is not in '
                        'wnids.txt. ' + _GET_IT
                    )
                data_list.append(
                    {
                        'img_path': osp.join(image_dir, name),
                        'gt_label': label_of[wnid],
                    }
                )
        # before: the first validation stopped in the image loader
        missing = [d for d in data_list if not osp.isfile(d['img_path'])]
        if missing:
            raise DatasetNotFoundError(
                f'Tiny-ImageNet val split incomplete: {len(missing)} of the '
                f'{len(data_list)} images {ann_file} names are not in '
                f'{image_dir!r} (the first: '
                f'{osp.basename(missing[0]["img_path"])}). ' + _GET_IT
            )
        return data_list
