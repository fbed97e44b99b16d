"""The path users take: a shipped config, the Runner's own dataloader and
collate, the model's data preprocessor, a real training step.

Hand-built batches prove a model right on tensors nobody feeds it; these
tests read the batches the Runner builds and check what the model relies
on: which row is which image and view, its label, its rotation.
"""

import glob
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from conftest import clone_state, tiny_cfg
from mmsamkd.models.utils import rotate_views
from mmsamkd.utils.model_wrappers import unwrap_model

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
N = 4  # images per test batch


def configs(pattern):
    return sorted(
        osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, pattern))
    )


# every shipped config whose training pipeline makes rotated views
MULTI_VIEW_CONFIGS = configs('configs/sskd/*.py') + configs(
    'configs/teachers/*_sskd-head_*.py'
)


def pipeline_step(cfg, name):
    """The first transform of the training pipeline of type ``name``."""
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == name:
            return step
        for inner in step.get('transforms', []):
            if inner['type'] == name:
                return inner
    return None


def users_cfg(config, roots, **options):
    """``config`` as shipped, its training data moved to the synthetic
    files (Fashion-MNIST configs read the installed real files)."""
    cfg = Config.fromfile(osp.join(REPO, config))
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        if dataset.type in roots:
            dataset.data_root = roots[dataset.type]
    cfg.train_dataloader.update(batch_size=N, num_workers=0)
    cfg.train_dataloader.pop('persistent_workers', None)
    cfg.merge_from_dict(options)
    return cfg


def runner_batch(cfg, collate=None):
    """One batch of ``cfg``'s training dataloader, built as the Runner
    builds it, and the dataset it came from."""
    if collate is not None:
        cfg.train_dataloader.collate_fn = dict(type=collate)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    return next(iter(loader)), loader.dataset


def build_preprocessor(cfg):
    from mmrazor.registry import MODELS

    init_default_scope('mmpretrain')
    return MODELS.build(cfg.model.data_preprocessor)


def raw_image(dataset, index):
    """Image ``index`` of ``dataset`` as stored (H, W, C) uint8, BGR where
    the files are decoded by mmcv."""
    info = dataset.get_data_info(index)
    image = info['img'] if 'img' in info else mmcv.imread(info['img_path'])
    return image if image.ndim == 3 else image[..., None]


def to_stored_pixels(view, preprocessor_cfg):
    """Undo normalisation (and channel order) of one ``(C, H, W)`` row:
    the (H, W, C) uint8 pixels it was made of."""
    mean = torch.tensor(preprocessor_cfg['mean'])[:, None, None]
    std = torch.tensor(preprocessor_cfg['std'])[:, None, None]
    pixels = (view * std + mean).round().clamp(0, 255).byte()
    if preprocessor_cfg.get('to_rgb'):
        pixels = pixels.flip(0)
    return pixels.permute(1, 2, 0).numpy()


def crop_offsets(pixels, image, padding):
    """The offsets at which ``pixels`` is a crop of zero-padded ``image``."""
    padded = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
    h, w = pixels.shape[:2]
    return [
        (y, x)
        for y in range(padded.shape[0] - h + 1)
        for x in range(padded.shape[1] - w + 1)
        if np.array_equal(padded[y : y + h, x : x + w], pixels)
    ]


@pytest.mark.parametrize('collate', ['shipped', 'pseudo_collate'])
@pytest.mark.parametrize('config', MULTI_VIEW_CONFIGS)
def test_runner_batches_of_multi_view_configs_are_image_major(
    config, collate, synthetic_roots
):
    cfg = users_cfg(config, synthetic_roots)
    # the collate is part of the config, not left to a default
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    batch, dataset = runner_batch(
        cfg, None if collate == 'shipped' else collate
    )
    data = build_preprocessor(cfg)(batch, training=True)
    rotations = pipeline_step(cfg, 'RotatedViews').get(
        'rotations', (0, 1, 2, 3)
    )
    padding = pipeline_step(cfg, 'RandomCrop')['padding']
    k_views = len(rotations)
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape[0] == len(samples) * k_views == N * k_views
    for i, sample in enumerate(samples):
        image = raw_image(dataset, sample.sample_idx)
        info = dataset.get_data_info(sample.sample_idx)
        assert int(sample.gt_label) == int(info['gt_label'])
        flips = set()
        for k, turns in enumerate(rotations):
            # row i * K + k: image i, turned rotations[k] times, cropped
            pixels = to_stored_pixels(
                inputs[i * k_views + k], cfg.model.data_preprocessor
            )
            found = [
                flipped
                for flipped, source in ((False, image), (True, image[:, ::-1]))
                if crop_offsets(pixels, np.rot90(source, turns), padding)
            ]
            assert found, f'row {i * k_views + k} is not view {k} of image {i}'
            flips.update(found)
        # the flip comes before RotatedViews: shared by the views of an image
        assert len(flips) == 1


def test_rotation_targets_follow_the_runner_batch(synthetic_roots):
    """SSKD's rotation and contrastive targets assume that view k of image
    i is row i * K + k: on the Runner's batch without crops and flips, the
    rows equal ``rotate_views`` of the images."""
    config = 'configs/sskd/sskd_resnet32x4_resnet8x4_1xb64_cifar100.py'
    cfg = users_cfg(config, synthetic_roots)
    views = pipeline_step(cfg, 'RotatedViews')
    views.transforms = []
    cfg.train_dataloader.dataset.pipeline = [views, dict(type='PackInputs')]
    for collate in ('default_collate', 'pseudo_collate'):
        batch, dataset = runner_batch(cfg, collate)
        data = build_preprocessor(cfg)(batch, training=True)
        preprocessor_cfg = cfg.model.data_preprocessor
        images = torch.stack(
            [
                torch.from_numpy(raw_image(dataset, s.sample_idx).copy())
                .permute(2, 0, 1)
                .float()
                for s in data['data_samples']
            ]
        )
        if preprocessor_cfg.get('to_rgb'):
            images = images.flip(1)
        mean = torch.tensor(preprocessor_cfg['mean'])[:, None, None]
        std = torch.tensor(preprocessor_cfg['std'])[:, None, None]
        expected = rotate_views((images - mean) / std)
        torch.testing.assert_close(data['inputs'], expected)


# --- one real training step per method family ------------------------------


class CaptureStep(Hook):
    """Keep the Runner's first training batch, the model's state before
    the step and what the step logged."""

    priority = 'LOWEST'  # after every hook that prepares the iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0:
            self.batch = data_batch
            self.state = clone_state(unwrap_model(runner.model))

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        if batch_idx == 0:
            self.logged = {
                k: float(torch.as_tensor(v).detach())
                for k, v in outputs.items()
            }


def hand_built_inputs(batch, preprocessor_cfg):
    """The model's input tensor, built without the data preprocessor: the
    views of sample i at rows i * K .. i * K + K - 1, normalised."""
    packed = batch['inputs']
    images = []
    for sample in packed:  # a (K, C, H, W) stack or one (C, H, W) image
        images += list(sample) if sample.dim() == 4 else [sample]
    images = torch.stack(images).float()
    if preprocessor_cfg.get('to_rgb'):
        images = images.flip(1)
    mean = torch.tensor(preprocessor_cfg['mean'])[:, None, None]
    std = torch.tensor(preprocessor_cfg['std'])[:, None, None]
    return (images - mean) / std


def check_one_runner_step(cfg, work_dir, adds_terms=False, validate=True):
    """Train ``cfg`` for one iteration through the Runner; each term the
    step logged from the model's loss must equal the model's own loss on
    the same batch built by hand, from the same weights.

    ``adds_terms``: the algorithm's train step adds terms of its own (the
    adversaries) to the total, which is then not compared. ``validate``:
    the Runner validates after the step (on a few images)."""
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{id(cfg)}'
    cfg.train_dataloader.update(batch_size=N, num_workers=0)
    cfg.train_dataloader.pop('persistent_workers', None)
    cfg.train_dataloader.dataset.indices = N  # one iteration
    cfg.train_cfg.max_epochs = 1
    cfg.val_dataloader.dataset.indices = N  # evaluation is not checked
    if not validate:
        cfg.train_cfg.val_begin = 2
    # nor are checkpoints (each save is verified and synced to disk: a
    # third of a step's time); test_checkpoint_files.py checks them
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    capture = CaptureStep()
    runner.register_hook(capture)
    runner.train()

    model = unwrap_model(runner.model)
    model.load_state_dict(capture.state)
    model.train()
    inputs = hand_built_inputs(capture.batch, cfg.model.data_preprocessor)
    samples = capture.batch['data_samples']
    assert len(samples) == N
    with torch.no_grad():
        _, expected = model.parse_losses(model(inputs, samples, mode='loss'))
    if adds_terms:
        expected.pop('loss')
    compared = 0
    for key, value in expected.items():
        # MS-MGANs' block phases log the distiller's terms, untrained, as
        # '<key>_unused', and no metrics
        logged_key = key if key in capture.logged else f'{key}_unused'
        if 'loss' not in key and logged_key not in capture.logged:
            continue
        assert capture.logged[logged_key] == pytest.approx(
            float(value), rel=1e-4, abs=1e-6
        ), key
        compared += 1
    assert compared
    return capture


# (config, teacher fixture, option the teacher goes to, the step adds terms)
FAMILY_STEPS = {
    'vanilla': ('vanilla/resnet8-quarter_1xb64_fmnist.py', None, None, False),
    'hsakd-branch-stage': (
        'teachers/resnet14_ssa-frozen_1xb64_fmnist.py',
        'fmnist_teacher_ckpt',
        'load_from',
        False,
    ),
    'sskd-head-stage': (
        'teachers/resnet14_sskd-head_1xb64_fmnist.py',
        'fmnist_teacher_ckpt',
        'load_from',
        False,
    ),
    'kd': (
        'kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_teacher_ckpt',
        'model.teacher_ckpt',
        False,
    ),
    'hsakd': (
        'hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_ssa_teacher_ckpt',
        'model.teacher_ckpt',
        False,
    ),
    'samkd': (
        'samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_ssa_teacher_ckpt',
        'model.teacher_ckpt',
        True,
    ),
    'sskd': (
        'sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_sskd_teacher_ckpt',
        'model.teacher_ckpt',
        False,
    ),
    'lightskd': (
        'lightskd/lightskd-drg-dsr_resnet8-quarter_1xb64_fmnist.py',
        None,
        None,
        False,
    ),
    'cskd': (
        'cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_teacher_ckpt',
        'model.teacher_ckpt',
        False,
    ),
    'icakd': (
        'icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_teacher_ckpt',
        'model.teacher_ckpt',
        False,
    ),
    'msmgan': (
        'msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'fmnist_teacher_snapshots',
        'model.teacher_snapshots',
        True,
    ),
}


@pytest.mark.parametrize('family', list(FAMILY_STEPS))
def test_one_runner_step_of_each_fmnist_config(family, request, tmp_path):
    config, fixture, option, adds_terms = FAMILY_STEPS[family]
    options = {}
    if fixture:
        teacher = request.getfixturevalue(fixture)
        options[option] = teacher
        if option == 'model.teacher_snapshots':
            options['model.teacher_ckpt'] = teacher[0]
    cfg = tiny_cfg(osp.join(REPO, 'configs', config), tmp_path, **options)
    check_one_runner_step(cfg, tmp_path, adds_terms)


@pytest.mark.parametrize(
    'config',
    [
        # the multi-view family on CIFAR-100's official pickles
        'configs/sskd/sskd_resnet32x4_resnet8x4_1xb64_cifar100.py',
        # the adversarial family on Tiny-ImageNet's official folders
        'configs/samkd/samkd_resnet32x4_resnet8x4_1xb64_tinyimagenet.py',
    ],
)
def test_one_runner_step_on_official_layouts(
    config, synthetic_roots, tmp_path
):
    # a teacher of random weights: the step's batch and losses are checked,
    # not what it learns
    cfg = users_cfg(config, synthetic_roots, **{'model.teacher_ckpt': None})
    check_one_runner_step(cfg, tmp_path, adds_terms='samkd' in config)
