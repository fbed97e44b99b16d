"""Tiny data sets in the official on-disk formats, written by the tests
(nothing is downloaded): Fashion-MNIST idx files, CIFAR pickles and the
Tiny-ImageNet folder layout."""

import gzip
import os
import os.path as osp
import pickle

import numpy as np


def idx_bytes(array):
    """Encode a uint8 array in the idx format, independently of read_idx."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b''.join(int(d).to_bytes(4, 'big') for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fmnist(root, n_train=6, n_test=4, compress=True):
    rng = np.random.default_rng(0)
    arrays = {
        'train-images-idx3-ubyte': rng.integers(0, 256, (n_train, 28, 28)),
        'train-labels-idx1-ubyte': np.arange(n_train) % 10,
        't10k-images-idx3-ubyte': rng.integers(0, 256, (n_test, 28, 28)),
        't10k-labels-idx1-ubyte': (np.arange(n_test) + 5) % 10,
    }
    os.makedirs(root, exist_ok=True)
    for stem, array in arrays.items():
        data = idx_bytes(array)
        if compress:
            with gzip.open(osp.join(root, stem + '.gz'), 'wb') as f:
                f.write(data)
        else:
            with open(osp.join(root, stem), 'wb') as f:
                f.write(data)
    return arrays


def write_cifar(root, folder, files, label_key, n_per_file=3, n_classes=10):
    rng = np.random.default_rng(1)
    os.makedirs(osp.join(root, folder), exist_ok=True)
    for name in files:
        labels = [int(x) for x in rng.integers(0, n_classes, n_per_file)]
        entry = {
            'data': rng.integers(0, 256, (n_per_file, 3072), dtype=np.uint8),
            label_key: labels,
        }
        with open(osp.join(root, folder, name), 'wb') as f:
            pickle.dump(entry, f)


def write_tiny_imagenet(root, wnids=('n01', 'n02', 'n03'), per_class=2):
    import cv2

    rng = np.random.default_rng(2)
    with open(osp.join(root, 'wnids.txt'), 'w') as f:
        f.write('\n'.join(wnids) + '\n')
    with open(osp.join(root, 'words.txt'), 'w') as f:
        f.write('n01\tgoldfish, Carassius auratus\nn02\tsalamander\n')
    for wnid in wnids:
        image_dir = osp.join(root, 'train', wnid, 'images')
        os.makedirs(image_dir)
        for i in range(per_class):
            cv2.imwrite(
                osp.join(image_dir, f'{wnid}_{i}.JPEG'),
                rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
            )
    os.makedirs(osp.join(root, 'val', 'images'))
    lines = []
    for i, wnid in enumerate(reversed(wnids)):
        name = f'val_{i}.JPEG'
        cv2.imwrite(
            osp.join(root, 'val', 'images', name),
            rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
        )
        lines.append(f'{name}\t{wnid}\t0\t0\t63\t63')
    with open(osp.join(root, 'val', 'val_annotations.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def write_cifar_dataset(root, dataset_cls, n_per_file=3):
    """Every file of ``dataset_cls`` (MMPretrain's CIFAR10 or CIFAR100)
    under ``root``: the batches, the test batch and the meta file."""
    n_classes = 100 if 'fine' in dataset_cls.meta['key'] else 10
    label_key = 'fine_labels' if n_classes == 100 else 'labels'
    files = [e[0] for e in dataset_cls.train_list + dataset_cls.test_list]
    write_cifar(
        root,
        dataset_cls.base_folder,
        files,
        label_key,
        n_per_file=n_per_file,
        n_classes=n_classes,
    )
    folder = osp.join(root, dataset_cls.base_folder)
    meta = osp.join(folder, dataset_cls.meta['filename'])
    with open(meta, 'wb') as f:
        pickle.dump(
            {dataset_cls.meta['key']: [f'c{i}' for i in range(n_classes)]}, f
        )
    return n_classes
