"""Dataset readers on tiny files written here (nothing is downloaded)."""

import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

from mmsamkd.datasets import (
    LocalFashionMNIST,
    TinyImageNet,
    fashion_mnist,
    read_idx,
)
from mmsamkd.errors import ConfigError, DatasetFileError, DatasetNotFoundError
from synthetic_data import (
    idx_bytes,
    write_cifar_dataset,
    write_fmnist,
    write_tiny_imagenet,
)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE = osp.join(REPO, 'configs', '_base_', 'datasets')
PUBLISHED = fashion_mnist.DEBIAN_FASHION_MNIST_ROOT
is_published = fashion_mnist.is_published


@pytest.fixture(autouse=True)
def written_files_taken(monkeypatch):
    """Tiny files written here cannot hold Fashion-MNIST's published
    values: the check is bypassed for them, and tested on its own."""
    monkeypatch.setattr(fashion_mnist, 'is_published', lambda *args: True)


@pytest.fixture
def published_values_checked(monkeypatch):
    monkeypatch.setattr(fashion_mnist, 'is_published', is_published)


def test_files_of_other_values_are_refused(tmp_path, published_values_checked):
    # the published files, but the test labels of another dataset of the
    # same format and classes (as MNIST digits would be)
    for name in os.listdir(PUBLISHED):
        os.symlink(osp.join(PUBLISHED, name), tmp_path / name)
    labels_path = tmp_path / 't10k-labels-idx1-ubyte.gz'
    labels = read_idx(str(labels_path))
    labels_path.unlink()
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(
        idx_bytes((labels + 1) % 10)
    )
    with pytest.raises(DatasetFileError) as info:
        LocalFashionMNIST(data_root=str(tmp_path), split='test')
    message = str(info.value)
    assert message.startswith(
        f'{tmp_path}/t10k-labels-idx1-ubyte is not the Fashion-MNIST file'
    )
    assert 'MNIST digits' in message and PUBLISHED in message
    # the training files are the published ones: read as before
    train = LocalFashionMNIST(data_root=str(tmp_path), split='train')
    assert len(train) == 60000
    write_fmnist(tmp_path / 'written')
    with pytest.raises(DatasetFileError, match='train-images-idx3-ubyte.gz'):
        LocalFashionMNIST(data_root=str(tmp_path / 'written'))


@pytest.mark.parametrize('stem', sorted(fashion_mnist.PUBLISHED_SHA256))
def test_one_value_changed_is_not_published(stem):
    values = read_idx(osp.join(PUBLISHED, stem + '.gz'))
    assert is_published(stem, values)
    changed = values.copy()
    changed.flat[-1] ^= 1
    assert not is_published(stem, changed)
    # a file's values are not another file's
    other = (
        't10k' + stem[5:] if stem.startswith('train') else 'train' + stem[4:]
    )
    assert not is_published(other, values)


@pytest.mark.parametrize('compress', [True, False])
def test_fashion_mnist_reads_idx_in_place_by_split(tmp_path, compress):
    arrays = write_fmnist(tmp_path, compress=compress)
    train = LocalFashionMNIST(data_root=str(tmp_path), split='train')
    test = LocalFashionMNIST(
        data_root=str(tmp_path), split='test', test_mode=True
    )
    assert len(train) == 6 and len(test) == 4
    info = test.get_data_info(2)
    np.testing.assert_array_equal(
        info['img'], arrays['t10k-images-idx3-ubyte'][2]
    )
    assert info['gt_label'] == 7
    assert [train.get_data_info(i)['gt_label'] for i in range(6)] == list(
        range(6)
    )
    assert train.CLASSES[0] == 'T-shirt/top'
    # nothing was unpacked or downloaded beside the input files
    assert len(os.listdir(tmp_path)) == 4


def test_fashion_mnist_split_ignores_test_mode(tmp_path):
    write_fmnist(tmp_path)
    # MMPretrain picks files by test_mode; the split must decide here.
    train = LocalFashionMNIST(
        data_root=str(tmp_path), split='train', test_mode=True
    )
    assert len(train) == 6


def image_keys(dataset):
    return {
        dataset.get_data_info(i)['img'].tobytes() for i in range(len(dataset))
    }


def test_fashion_mnist_val_split_is_held_out_of_train(tmp_path):
    arrays = write_fmnist(tmp_path, n_train=10)
    kwargs = dict(data_root=str(tmp_path), val_size=3)
    train = LocalFashionMNIST(split='train', **kwargs)
    val = LocalFashionMNIST(split='val', **kwargs)
    subset = LocalFashionMNIST(split='train', indices=4, **kwargs)
    test = LocalFashionMNIST(split='test', test_mode=True, **kwargs)
    assert (len(train), len(val), len(subset), len(test)) == (7, 3, 4, 4)
    images = arrays['train-images-idx3-ubyte']
    # val is the last val_size training images, train what comes before
    np.testing.assert_array_equal(val.get_data_info(0)['img'], images[7])
    assert [val.get_data_info(i)['gt_label'] for i in range(3)] == [7, 8, 9]
    assert not image_keys(val) & image_keys(train)
    assert not image_keys(val) & image_keys(subset)
    assert image_keys(train) | image_keys(val) == {
        i.astype(np.uint8).tobytes() for i in images
    }
    with pytest.raises(ConfigError, match='val_size > 0'):
        LocalFashionMNIST(data_root=str(tmp_path), split='val')
    assert len(LocalFashionMNIST(split='val', **dict(kwargs, val_size=1))) == 1
    with pytest.raises(ConfigError, match='split must be one of'):
        LocalFashionMNIST(data_root=str(tmp_path), split='valid')
    with pytest.raises(ConfigError, match='leaves no training image'):
        LocalFashionMNIST(data_root=str(tmp_path), split='val', val_size=10)


def test_indices_beyond_the_split_are_refused(tmp_path):
    """Before: ``indices=60000`` beside ``val_size=10000`` trained on
    50000 images, rc 0, under a record that said ``[:60000]``."""
    from mmsamkd.utils.run_results import images_taken_problem

    write_fmnist(tmp_path, n_train=10)
    cfg = dict(
        type='LocalFashionMNIST',
        data_root=str(tmp_path),
        split='train',
        val_size=3,
        indices=8,
    )
    built = LocalFashionMNIST(**{k: v for k, v in cfg.items() if k != 'type'})
    assert images_taken_problem(cfg, built) == (
        "dataset.indices=8, but LocalFashionMNIST split 'train' holds 7 "
        "images (3 of the training images are held out as split 'val'): "
        'the run would take 7 while its record and the comparison say '
        '[:8]. Set indices=7, or None for all of them.'
    )
    assert images_taken_problem(dict(cfg, indices=7), built) is None
    assert images_taken_problem(dict(cfg, indices=None), built) is None
    test = dict(cfg, split='test', indices=5)
    assert images_taken_problem(test, range(4)).startswith(
        "dataset.indices=5, but LocalFashionMNIST split 'test' holds 4 "
        'images: the run'
    )
    # a list past the split's end stops the build in an IndexError
    listed = dict(cfg, indices=[0, 9])
    with pytest.raises(IndexError):
        LocalFashionMNIST(**{k: v for k, v in listed.items() if k != 'type'})
    assert images_taken_problem(listed, None) == (
        'dataset.indices names image 9, past the end of what '
        "LocalFashionMNIST split 'train' holds (3 of the training images "
        "are held out as split 'val'); indices count from 0 within the "
        'split. Name images the split holds.'
    )
    assert images_taken_problem(dict(cfg, indices=[0, 6]), built) is None


@pytest.mark.parametrize(
    'indices, told',
    [
        (
            60000,
            "indices=60000, but LocalFashionMNIST split 'train' holds 50000",
        ),
        ([0, 59999], 'names image 59999, past the end of what'),
    ],
)
def test_train_tool_refuses_indices_beyond_the_split(indices, told, tmp_path):
    from test_cli_errors import assert_one_line_error

    from conftest import STUDENT_CFG, options_args, run_tool_in_process

    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'train_dataloader.dataset.indices': indices}),
    )
    assert_one_line_error(result, told)


def test_fashion_mnist_missing_files_name_path_and_fix(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        LocalFashionMNIST(data_root=str(tmp_path / 'none'), split='train')
    message = str(info.value)
    assert str(tmp_path / 'none') in message
    assert 'apt-get install -y dataset-fashion-mnist' in message
    # the images there, the labels not: only the labels are named
    write_fmnist(tmp_path, n_train=4)
    os.remove(tmp_path / 'train-labels-idx1-ubyte.gz')
    with pytest.raises(DatasetNotFoundError) as info:
        LocalFashionMNIST(data_root=str(tmp_path), split='train')
    assert "files ['train-labels-idx1-ubyte'] (.gz or plain)" in str(
        info.value
    )


def test_read_idx_rejects_truncated_file(tmp_path):
    path = tmp_path / 'x-idx1-ubyte'
    path.write_bytes(idx_bytes(np.arange(5))[:-1])
    with pytest.raises(ValueError, match='truncated'):
        read_idx(str(path))


@pytest.mark.parametrize('byte', [0, 1])
def test_read_idx_rejects_a_bad_magic_number(tmp_path, byte):
    """An idx file starts with two zero bytes; anything else (another
    format given as data_root) is named, not read as garbage."""
    data = bytearray(idx_bytes(np.arange(5)))
    path = tmp_path / 'x-idx1-ubyte'
    path.write_bytes(bytes(data))
    assert list(read_idx(str(path))) == [0, 1, 2, 3, 4]
    data[byte] = 1
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetFileError, match='bad magic number'):
        read_idx(str(path))
    path.write_bytes(b'\x00\x00\x08')  # too short for a header
    with pytest.raises(DatasetFileError, match='bad magic number'):
        read_idx(str(path))


@pytest.mark.parametrize('damage', ['truncated', 'corrupt'])
def test_damaged_gz_file_is_named(tmp_path, damage):
    write_fmnist(tmp_path)
    path = tmp_path / 'train-images-idx3-ubyte.gz'
    data = path.read_bytes()
    if damage == 'truncated':
        data = data[: len(data) // 2]
    else:  # bytes changed inside the deflate stream
        data = data[:40] + bytes(b ^ 0xFF for b in data[40:80]) + data[80:]
    path.write_bytes(data)
    with pytest.raises(DatasetFileError) as info:
        LocalFashionMNIST(data_root=str(tmp_path), split='train')
    assert str(path) in str(info.value)
    assert 'truncated or corrupt' in str(info.value)


def test_out_of_range_label_is_refused_at_load_time(tmp_path):
    write_fmnist(tmp_path, compress=False)
    labels = np.arange(6) % 10
    labels[4] = 10  # the class count itself: one past the last class
    path = tmp_path / 'train-labels-idx1-ubyte'
    path.write_bytes(idx_bytes(labels))
    with pytest.raises(DatasetFileError) as info:
        LocalFashionMNIST(data_root=str(tmp_path), split='train')
    message = str(info.value)
    assert str(path) in message and 'label 10 at index 4' in message
    # the test split is read from its own files: still fine
    assert len(LocalFashionMNIST(data_root=str(tmp_path), split='test')) == 4


def test_fashion_mnist_base_config_builds_pipeline(tmp_path):
    write_fmnist(tmp_path)
    cfg = Config.fromfile(osp.join(BASE, 'fashion_mnist.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(tmp_path)
    dataset = DATASETS.build(dataset_cfg)
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (1, 28, 28)
    assert int(sample['data_samples'].gt_label) == 0


def test_fashion_mnist_rotated_views_config_gives_four_views(tmp_path):
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import MODELS, init_default_scope

    write_fmnist(tmp_path, n_train=6)
    cfg = Config.fromfile(osp.join(BASE, 'fashion_mnist_5k_rotated_views.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(tmp_path), indices=None, val_size=0)
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[0], dataset[1]])
    init_default_scope('mmpretrain')
    preprocessor = MODELS.build(
        dict(cfg.data_preprocessor, type='ViewsDataPreprocessor')
    )
    data = preprocessor(batch, training=True)
    assert tuple(data['inputs'].shape) == (8, 1, 28, 28)
    assert len(data['data_samples']) == 2


# ------------------------------------------------------------------ CIFAR
@pytest.mark.parametrize('views', ['', '_rotated_views'])
@pytest.mark.parametrize(
    'name,n_classes', [('cifar10', 10), ('cifar100', 100)]
)
def test_cifar_configs_read_tiny_pickles(
    tmp_path, monkeypatch, name, n_classes, views
):
    import mmpretrain.datasets.cifar as cifar

    cfg = Config.fromfile(osp.join(BASE, name + views + '.py'))
    dataset_cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    # The real files' md5 sums cannot be matched by tiny stand-ins.
    monkeypatch.setattr(cifar, 'check_md5', lambda *args, **kwargs: True)
    assert write_cifar_dataset(tmp_path, dataset_cls) == n_classes
    train_cfg = cfg.train_dataloader.dataset
    train_cfg.update(data_root=str(tmp_path), download=False)
    dataset = DATASETS.build(train_cfg)
    assert len(dataset) == 3 * len(dataset_cls.train_list)
    sample = dataset[0]
    if views:  # SSKD: 4 rotated views of the image, each its own crop
        assert tuple(sample['inputs'].shape) == (4, 3, 32, 32)
    else:
        assert tuple(sample['inputs'].shape) == (3, 32, 32)
    assert len(dataset.CLASSES) == n_classes


@pytest.mark.parametrize('dataset_type', ['LocalCIFAR10', 'LocalCIFAR100'])
def test_cifar_missing_files_name_folder_files_and_fix(tmp_path, dataset_type):
    dataset_cls = DATASETS.get(dataset_type)
    with pytest.raises(DatasetNotFoundError) as info:
        dataset_cls(data_root=str(tmp_path / 'absent'))
    message = str(info.value)
    folder = str(tmp_path / 'absent' / dataset_cls.base_folder)
    assert folder in message
    assert dataset_cls.test_list[0][0] in message  # the files expected
    assert dataset_cls.filename in message  # where to get them


def test_cifar_file_of_wrong_md5_is_named(tmp_path):
    """Synthetic files fail MMPretrain's md5 check, which stays on."""
    dataset_cls = DATASETS.get('LocalCIFAR10')
    write_cifar_dataset(tmp_path, dataset_cls)
    with pytest.raises(DatasetFileError) as info:
        dataset_cls(data_root=str(tmp_path))
    first = osp.join(
        str(tmp_path), dataset_cls.base_folder, dataset_cls.train_list[0][0]
    )
    assert first in str(info.value) and 'md5' in str(info.value)


@pytest.mark.slow
def test_train_tool_without_cifar_files_is_one_line(tmp_path):
    from conftest import run_tool_in_process

    result = run_tool_in_process(
        'train.py',
        'configs/teachers/resnet32x4_1xb64_cifar100.py',
        '--work-dir',
        tmp_path / 'run',
        '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}',
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and 'not found in' in last
    assert str(tmp_path) in last


# ----------------------------------------------------------- Tiny-ImageNet
def test_tiny_imagenet_reads_standard_layout(tmp_path):
    write_tiny_imagenet(tmp_path)
    train = TinyImageNet(data_root=str(tmp_path), split='train')
    val = TinyImageNet(data_root=str(tmp_path), split='val')
    assert len(train) == 6 and len(val) == 3
    assert [train.get_data_info(i)['gt_label'] for i in range(6)] == [
        0,
        0,
        1,
        1,
        2,
        2,
    ]
    # val labels come from val_annotations.txt, mapped through wnids.txt
    assert [val.get_data_info(i)['gt_label'] for i in range(3)] == [2, 1, 0]
    assert train.CLASSES == ('goldfish', 'salamander', 'n03')


def test_tiny_imagenet_config_pipeline_loads_images(tmp_path):
    write_tiny_imagenet(tmp_path)
    cfg = Config.fromfile(osp.join(BASE, 'tiny_imagenet.py'))
    assert cfg.data_preprocessor.num_classes == 200
    val_cfg = cfg.val_dataloader.dataset
    val_cfg.data_root = str(tmp_path)
    sample = DATASETS.build(val_cfg)[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)


def test_tiny_imagenet_missing_root_names_path(tmp_path):
    with pytest.raises(DatasetNotFoundError, match='wnids.txt'):
        TinyImageNet(data_root=str(tmp_path / 'absent'))


def test_tiny_imagenet_missing_val_annotations(tmp_path):
    write_tiny_imagenet(tmp_path)
    os.remove(tmp_path / 'val' / 'val_annotations.txt')
    with pytest.raises(DatasetNotFoundError, match='val_annotations.txt'):
        TinyImageNet(data_root=str(tmp_path), split='val')


def test_tiny_imagenet_missing_split_folder_is_named(tmp_path):
    write_tiny_imagenet(tmp_path)
    os.rename(tmp_path / 'val' / 'images', tmp_path / 'val' / 'imgs')
    with pytest.raises(DatasetNotFoundError) as info:
        TinyImageNet(data_root=str(tmp_path), split='val')
    message = str(info.value)
    assert (
        f"val split incomplete: '{tmp_path / 'val' / 'images'}' is not a "
        'folder. Get it from the Tiny ImageNet page' in message
    )


@pytest.mark.parametrize(
    'bad_line, told',
    [
        ('val_9.JPEG\tn99\t0\t0\t63\t63', "wnid 'n99' is not in wnids.txt"),
        ('val_9.JPEG n01', "got 'val_9.JPEG n01'"),
    ],
)
def test_tiny_imagenet_bad_annotation_line_is_named(tmp_path, bad_line, told):
    """Before: a ``ValueError`` traceback (or an unpacking error for a line
    without a tab) out of the dataset build."""
    write_tiny_imagenet(tmp_path)
    ann_file = tmp_path / 'val' / 'val_annotations.txt'
    lines = ann_file.read_text().splitlines()
    lines.insert(1, bad_line)
    ann_file.write_text('\n'.join(lines) + '\n')
    with pytest.raises(DatasetFileError) as info:
        TinyImageNet(data_root=str(tmp_path), split='val')
    assert f'{ann_file}:2: ' in str(info.value)  # the line, counted from 1
    assert told in str(info.value)


def test_a_head_of_other_classes_than_wnids_is_refused(tmp_path):
    """Before: a 200-class teacher trained on a 3-class copy of
    Tiny-ImageNet with rc 0 (its classes come from ``wnids.txt``, known
    only once the dataset is built)."""
    from test_cli_errors import assert_one_line_error

    from conftest import run_tool_in_process
    from mmsamkd.engine.runner import MmsamkdRunner

    (tmp_path / 'data').mkdir()
    write_tiny_imagenet(tmp_path / 'data')
    config = f'{REPO}/configs/teachers/wrn-40-2_1xb64_tinyimagenet.py'
    options = {
        f'{split}_dataloader.dataset.data_root': str(tmp_path / 'data')
        for split in ('train', 'val', 'test')
    }
    result = run_tool_in_process(
        'train.py',
        config,
        '--work-dir',
        tmp_path / 'run',
        '--cfg-options',
        *(f'{key}={value}' for key, value in options.items()),
        'train_cfg.max_epochs=1',  # short, where the check is broken
    )
    assert_one_line_error(
        result,
        'model.head.num_classes is 200 but train_dataloader reads '
        'TinyImageNet, which has 3 classes. Set it to 3',
    )
    assert not list((tmp_path / 'run').glob('*.pth'))
    # a head of the dataset's classes: each loop builds (test.py's too)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(
        {**options, 'model.head.num_classes': 3, 'work_dir': str(tmp_path)}
    )
    runner = MmsamkdRunner.from_cfg(cfg)
    for split in ('train', 'val', 'test'):
        loop = getattr(runner, f'build_{split}_loop')(cfg[f'{split}_cfg'])
        assert len(loop.dataloader.dataset.metainfo['classes']) == 3
    cfg.model.head.num_classes = 4
    with pytest.raises(ConfigError, match='test_dataloader reads'):
        MmsamkdRunner.from_cfg(cfg).build_test_loop(cfg.test_cfg)


def test_tiny_imagenet_missing_val_image_and_twice_listed_wnid(tmp_path):
    """Before: an image the annotations name but the folder lacks stopped
    the first validation in the image loader; a wnid listed twice read
    its class under two labels."""
    write_tiny_imagenet(tmp_path)
    first = sorted(os.listdir(tmp_path / 'val' / 'images'))[0]
    os.remove(tmp_path / 'val' / 'images' / first)
    with pytest.raises(DatasetNotFoundError) as info:
        TinyImageNet(data_root=str(tmp_path), split='val')
    assert (
        f'val split incomplete: 1 of the 3 images '
        f'{tmp_path / "val" / "val_annotations.txt"} names are not in '
        f"'{tmp_path / 'val' / 'images'}' (the first: {first})"
    ) in str(info.value)
    TinyImageNet(data_root=str(tmp_path), split='train')  # train is whole
    with open(tmp_path / 'wnids.txt', 'a') as f:
        f.write('n02\n')
    with pytest.raises(DatasetFileError, match="lists 'n02' more than once"):
        TinyImageNet(data_root=str(tmp_path), split='train')
