"""No run is scored on images that a network it loads has trained on.

Methods and settings are chosen on the validation split: the last
``val_size`` Fashion-MNIST training images, held out of the training
dataset. A teacher trained with ``val_size=0`` (all 60000 training images)
has learnt those images, and a student distilled from it learns their
labels through the teacher's outputs; a student started from such a
``load_from`` begins with them. Nothing fails: the run exits 0 and its
validation accuracy is that of images its model learnt from, not of unseen
ones. ``tools/test.py`` on a checkpoint of a run that trained on the
images it scores reports the same kind of number.

MMEngine keeps the config of the run that saved a checkpoint in its meta.
From it, :func:`trained_images` reads the images that run trained on and,
through the checkpoints it loaded in turn (its teacher, its
``load_from``; for a student exported by ``tools/export_student.py``, the
distillation checkpoint it came from), the images those learnt from.
Where a dataset's images are known from its config alone (Fashion-MNIST's
splits and ``val_size``; the named split of any other dataset;
``indices``), they are compared with the images the run evaluates. A
checkpoint without a config, or a dataset of unknown layout, is not
checked; nor is a loader that reads split ``'train'`` by name (a
training accuracy, asked for).
"""

import os.path as osp
from typing import Any, List, Optional, Tuple

from mmengine.config import Config

from ..datasets.fashion_mnist import split_positions
from ..errors import ConfigError
from .evaluation_settings import EVALUATION_LOADERS
from .trained_inputs import checkpoint_meta, teacher_files, trained_config

# (dataset, files, first, end): images [first, end) of a dataset's files
# (a split's name where the dataset keeps each split apart); end None is
# the last image
Images = Tuple[str, str, int, Optional[int]]

# how many checkpoints deep a chain of teachers and load_from is followed
# (a fine-tune saved over the checkpoint it loaded names itself)
_DEPTH = 4


def _dataset_name(dataset_type: Any) -> str:
    # LocalCIFAR100 reads CIFAR-100's images, as MMPretrain's CIFAR100 does
    name = str(dataset_type).split('.')[-1]
    return name[len('Local') :] if name.startswith('Local') else name


def _subset(first: int, end: Optional[int], indices: Any):
    """The positions left by a BaseDataset's ``indices`` (the first N, or
    the span of the listed ones)."""
    if isinstance(indices, int) and not isinstance(indices, bool):
        stop = first + indices
        return first, stop if end is None else min(end, stop)
    if isinstance(indices, (list, tuple)) and indices:
        return first + min(indices), first + max(indices) + 1
    return first, end


def dataset_images(dataset: Any) -> List[Images]:
    """The images a dataset config reads, or [] where they are unknown."""
    if not hasattr(dataset, 'get'):
        return []
    if hasattr(dataset.get('dataset'), 'get'):  # RepeatDataset and the like
        return dataset_images(dataset['dataset'])
    if isinstance(dataset.get('datasets'), (list, tuple)):  # ConcatDataset
        return [
            part
            for each in dataset['datasets']
            for part in dataset_images(each)
        ]
    name = _dataset_name(dataset.get('type', ''))
    split = dataset.get('split')
    if name == 'FashionMNIST':
        if (split or 'train') not in ('train', 'val', 'test'):
            return []  # a misspelt split: the dataset names it when built
        files, first, end = split_positions(
            split or 'train', dataset.get('val_size') or 0
        )
    elif split is not None:
        files, first, end = str(split), 0, None
    else:
        return []
    return [(name, files, *_subset(first, end, dataset.get('indices')))]


def share_images(a: Images, b: Images) -> bool:
    """Whether images ``a`` and ``b`` have one in common."""
    if a[:2] != b[:2]:
        return False
    ends = [end for end in (a[3], b[3]) if end is not None]
    return not ends or max(a[2], b[2]) < min(ends)


def describe(images: Images) -> str:
    """``'FashionMNIST train images 50000 to 59999'``."""
    name, files, first, end = images
    if end is None:
        after = f' from image {first} on' if first else ''
        return f'{name} split {files!r}{after}'
    return f'{name} {files} images {first} to {end - 1}'


def learnt_from(cfg: Any) -> List[Tuple[str, str]]:
    """``(key, path)`` of each local checkpoint whose network a run
    starts from or learns from: its teachers and ``load_from`` (a resume
    is the run's own)."""
    model_cfg = cfg.get('model') or {}
    files = teacher_files(model_cfg) if hasattr(model_cfg, 'get') else []
    load_from = cfg.get('load_from')
    if load_from and '://' not in str(load_from) and not cfg.get('resume'):
        files.append(('load_from', load_from))
    return files


def trained_images(
    path: str, depth: int = _DEPTH
) -> List[Tuple[Tuple[str, ...], Images]]:
    """The images the network in checkpoint ``path`` has learnt from, each
    with the chain of checkpoints through which (``path`` first, the one
    whose run trained on them last)."""
    meta = checkpoint_meta(path)
    cfg = trained_config(meta)
    if cfg is None:
        return []
    train = (cfg.get('train_dataloader') or {}).get('dataset')
    found = [((path,), images) for images in dataset_images(train)]
    # an exported student's config lost its teacher: its source names it
    sources = [loaded for _, loaded in learnt_from(cfg)]
    if meta.get('exported_from'):
        sources.append(meta['exported_from'])
    if depth > 1:
        for loaded in sources:
            if osp.isfile(osp.expanduser(loaded)):
                found += [
                    ((path, *chain), images)
                    for chain, images in trained_images(loaded, depth - 1)
                ]
    return found


def _first_shared(path: str, cfg: Config, loaders=EVALUATION_LOADERS):
    """The first (chain, images trained on, loader, images evaluated)
    where ``cfg``'s ``loaders`` read images the network in ``path``
    learnt from."""
    for chain, seen in trained_images(path):
        for loader in loaders:
            dataset = (cfg.get(loader) or {}).get('dataset')
            if hasattr(dataset, 'get') and dataset.get('split') == 'train':
                continue  # training images asked for by name
            for evaluated in dataset_images(dataset):
                if share_images(seen, evaluated):
                    return chain, seen, loader, evaluated
    return None


def _through(chain: Tuple[str, ...]) -> str:
    if len(chain) == 1:
        return 'was trained on'
    return 'learnt, through ' + ' and '.join(chain[1:]) + ', from'


def check_evaluation_unseen(cfg: Config) -> None:
    """``tools/train.py``: no teacher or ``load_from`` of the run has
    learnt from the images the run is evaluated on."""
    for key, path in learnt_from(cfg):
        shared = _first_shared(path, cfg)
        if shared is None:
            continue
        chain, seen, loader, evaluated = shared
        raise ConfigError(
            f'{key} {path} {_through(chain)} {describe(seen)}, which hold '
            f'the images this run evaluates ({loader}: '
            f'{describe(evaluated)}): what it learnt of them reaches this '
            "run's model, so its accuracy would not be that of unseen "
            'images. Train that checkpoint with these images held out (the '
            'same val_size on its train dataset), or evaluate on images '
            'it did not train on.'
        )


def check_test_unseen(cfg: Config, checkpoint: str) -> None:
    """``tools/test.py``: the checkpoint under test has not learnt from
    the images it is scored on."""
    shared = _first_shared(checkpoint, cfg, ['test_dataloader'])
    if shared is not None:
        chain, seen, loader, evaluated = shared
        raise ConfigError(
            f'{checkpoint} {_through(chain)} {describe(seen)}, which hold '
            f'the images this test scores ({loader}: {describe(evaluated)}): '
            'its accuracy would be that of images it learnt. Test it on '
            'images its run held out (the config it was trained with).'
        )
