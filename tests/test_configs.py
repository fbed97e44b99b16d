"""Every config under configs/ loads, builds and runs one training step."""

import copy
import functools
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '/_base_/' not in p
)

INPUT_SIZE = {
    'LocalFashionMNIST': 28,
    'LocalCIFAR10': 32,
    'LocalCIFAR100': 32,
    'TinyImageNet': 64,
}


@functools.lru_cache(maxsize=None)
def _parsed(path):
    return Config.fromfile(path)


def load(path):
    """``Config.fromfile(path)``, parsed once per session (three tests
    read each config); a copy, so that a test may change it."""
    return copy.deepcopy(_parsed(path))


def config_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def test_configs_were_found():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_names_plugin_and_no_mmcls(path):
    from mmsamkd.utils.config_check import check_heads_fit_the_data
    from mmsamkd.utils.config_keys import check_config_keys
    from mmsamkd.utils.distiller_settings import check_distiller
    from mmsamkd.utils.misplaced_keys import check_checkpoint_arguments
    from mmsamkd.utils.paramwise_settings import check_paramwise
    from mmsamkd.utils.training_settings import check_training_settings

    cfg = load(path)
    check_config_keys(cfg)  # no top-level key that nothing reads
    check_training_settings(cfg)  # trains, steps and validates
    check_paramwise(cfg)
    check_distiller(cfg)  # each loss reads the side its inputs name
    check_checkpoint_arguments(cfg)
    # every head predicts the classes of every split it reads
    check_heads_fit_the_data(
        cfg, ['train_dataloader', 'val_dataloader', 'test_dataloader']
    )
    assert 'mmsamkd' in cfg.custom_imports['imports']
    # the parsed values (bases included), not pretty_text: its formatter
    # took 0.5 s a config
    assert 'mmcls' not in str(cfg.to_dict())
    with open(path, encoding='utf-8') as f:
        assert 'mmcls' not in f.read()


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_feeds_a_gpu_without_needless_stalls(path):
    """cuDNN may pick its fastest kernels (MMPretrain's runtime leaves it
    off), and the GPU datasets' loaders hand over page-locked batches;
    Fashion-MNIST (the CPU default, no workers) has nothing to pin. Every
    loader stacks its batch into one tensor (MMEngine's pseudo_collate
    leaves a list, one copy to the device per image)."""
    cfg = load(path)
    assert cfg.env_cfg.cudnn_benchmark is True
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        collate = cfg[loader].get('collate_fn', {}).get('type')
        assert collate == 'default_collate', loader
    if 'FashionMNIST' not in cfg.train_dataloader.dataset.type:
        for loader in ('train_dataloader', 'val_dataloader'):
            assert cfg[loader].pin_memory is True, loader


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds_and_trains_one_step(path, tmp_path):
    cfg = load(path)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model
    if 'teacher_ckpt' in model_cfg:
        model_cfg.teacher_ckpt = None  # weights are not needed to build
    if 'teacher_snapshots' in model_cfg:  # MS-MGANs loads them at build
        snapshot = str(tmp_path / 'snapshot.pth')
        teacher = MODELS.build(model_cfg.teacher)
        torch.save({'state_dict': teacher.state_dict()}, snapshot)
        model_cfg.teacher_snapshots = [snapshot] * len(
            model_cfg.teacher_snapshots
        )
    model = MODELS.build(model_cfg)

    dataset_type = cfg.train_dataloader.dataset.type
    size = INPUT_SIZE[dataset_type]
    channels = len(cfg.data_preprocessor.mean)
    num_classes = cfg.data_preprocessor.num_classes
    torch.manual_seed(0)
    inputs = torch.rand(2, channels, size, size)
    samples = [DataSample().set_gt_label(i % num_classes) for i in range(2)]
    model.train()
    losses = model(inputs, samples, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()

    model.eval()
    with torch.no_grad():
        predictions = model(inputs, samples, mode='predict')
    assert predictions[0].pred_score.shape == (num_classes,)

    # every adversarial stage or phase names pairs the model has
    for hook_cfg in cfg.get('custom_hooks', []):
        if hook_cfg['type'].endswith('AdversarialStageHook'):
            for stage in hook_cfg['stages']:
                model.set_adversarial_weights(stage.get('weights', {}))
        if hook_cfg['type'].endswith('MSMGANPhaseHook'):
            for phase in hook_cfg['phases']:
                model.set_phase(phase['block'], phase['snapshot'])


DATASET_NAMES = {
    'fmnist': 'LocalFashionMNIST',
    'cifar10': 'LocalCIFAR10',
    'cifar100': 'LocalCIFAR100',
    'tinyimagenet': 'TinyImageNet',
}
METHOD_ALGORITHMS = {
    'kd': 'SingleTeacherDistill',
    'hsakd': 'SingleTeacherDistill',
    'samkd': 'SAMKD',
    'sskd': 'SingleTeacherDistill',
    'lightskd': 'SelfDistill',
    'cskd': 'SingleTeacherDistill',
    'icakd': 'SingleTeacherDistill',
    'msmgan': 'MSMGAN',
}
# the classifier each method's teacher and student are
METHOD_CLASSIFIERS = {
    'hsakd': 'SelfSupervisedClassifier',
    'samkd': 'SelfSupervisedClassifier',
    'sskd': 'SSKDClassifier',
}


def arch_name(backbone):
    """The name a config file gives the backbone ``backbone`` builds."""
    kind = backbone['type'].split('.')[-1]
    if kind in ('ResNet', 'ResNet_CIFAR'):  # MMPretrain's own networks
        width = backbone.get('base_channels', 64)
        return f'resnet{backbone["depth"]}-mmpretrain' + (
            f'-w{width}' if width != 64 else ''
        )
    if kind == 'CifarResNet':
        width = backbone.get('widen_factor', 1)
        return (
            backbone['arch'] + {1: '', 0.5: '-half', 0.25: '-quarter'}[width]
        )
    if kind == 'WideResNet':
        return f'wrn-{backbone["depth"]}-{backbone["widen_factor"]}'
    if kind == 'CifarVGG':
        return backbone['arch']
    if kind == 'CifarMobileNetV2':
        return 'mobilenetv2' + (
            '-s1' if backbone.get('stem_stride') == 1 else ''
        )
    return {
        'CifarShuffleNetV1': 'shufflev1',
        'CifarShuffleNetV2': 'shufflev2',
    }[kind]


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_file_name_matches_what_it_builds(path):
    """``[method_]<teacher>[_student|_ssa-mode]_<G>xb<B>_<dataset>.py``."""
    cfg = load(path)
    *models, setup, dataset = osp.basename(path)[: -len('.py')].split('_')
    assert DATASET_NAMES[dataset] == cfg.train_dataloader.dataset.type
    assert DATASET_NAMES[dataset] == cfg.test_dataloader.dataset.type
    gpus, batch = setup.split('xb')
    # MMPretrain's recipes keep their names (8 GPUs); ours run on one
    on_gpus = 8 if '-mmpretrain_' in osp.basename(path) else 1
    assert (int(gpus), int(batch)) == (
        on_gpus,
        cfg.train_dataloader.batch_size,
    )

    model = cfg.model
    if model.type.endswith('SelfDistill'):  # no teacher network
        method, student = models
        assert METHOD_ALGORITHMS[method.split('-')[0]] == 'SelfDistill'
        assert student == arch_name(model.architecture.backbone)
    elif 'teacher' in model:
        method, teacher, student = models
        assert (
            model.type.split('.')[-1]
            == METHOD_ALGORITHMS[method.split('-')[0]]
        )
        assert (teacher, student) == (
            arch_name(model.teacher.backbone),
            arch_name(model.architecture.backbone),
        )
        classifier = METHOD_CLASSIFIERS.get(
            method.split('-')[0], 'ImageClassifier'
        )
        assert model.teacher.type.split('.')[-1] == classifier
        assert model.architecture.type.split('.')[-1] == classifier
    elif models[-1].startswith('ssa-'):
        assert arch_name(model.backbone) == models[0]
        assert model.type == 'SelfSupervisedClassifier'
        assert model.branch_mode == models[-1][len('ssa-') :]
    elif models[-1] == 'snapshots':  # a teacher keeping MS-MGANs' snapshots
        assert arch_name(model.backbone) == models[0]
        assert cfg.default_hooks.checkpoint.max_keep_ckpts == -1
    elif models[-1] == 'sskd-head':  # SSKD teacher stage 2
        assert arch_name(model.backbone) == models[0]
        assert (model.type, model.mode) == ('SSKDClassifier', 'frozen')
    else:
        assert models == [arch_name(model.backbone)]
        assert model.type == 'ImageClassifier'


def test_mmpretrain_bases_add_what_default_runtime_adds():
    """A config built on an MMPretrain config cannot also inherit
    default_runtime.py (both set the runtime): its layer repeats
    default_runtime's own hooks and env_cfg, which must not drift apart."""
    runtime = load(osp.join(REPO, 'configs/_base_/default_runtime.py'))
    import mmpretrain

    theirs = Config.fromfile(
        osp.join(
            osp.dirname(mmpretrain.__file__),
            '.mim/configs/_base_/default_runtime.py',
        )
    )
    added = set(runtime.default_hooks) - set(theirs.default_hooks)
    layers = glob.glob(osp.join(REPO, 'configs/_base_/mmpretrain/*.py'))
    assert added and layers
    for path in layers:
        layer = load(path)
        for name in added:
            assert layer.default_hooks[name] == runtime.default_hooks[name]
        assert layer.env_cfg == runtime.env_cfg
        assert layer.custom_imports == runtime.custom_imports


def run_inputs(cfg):
    """``[(option, 'work_dirs/<run>/<file>')]``: the files of other runs
    that ``cfg`` starts from by default."""
    from mmsamkd.comparison.runs import inputs_read

    found = []
    for option, value in inputs_read(cfg).items():
        for path in value if isinstance(value, list) else [value]:
            if path and str(path).startswith('work_dirs/'):
                found.append((option, str(path)))
    return found


def test_default_inputs_name_the_checkpoint_a_shipped_run_saves():
    """A distillation config's default ``teacher_ckpt`` (``load_from``,
    snapshots) is ``work_dirs/<config>/epoch_N.pth`` of a shipped config
    that saves it: its final checkpoint, or any epoch of a run that keeps
    them all (MS-MGANs' snapshot teacher), and whose inputs are
    normalised as this config normalises them (train.py refuses other
    normalisations). compare.py follows these paths to the runs it trains;
    a user training by hand follows them too."""
    from mmsamkd.comparison.runs import final_checkpoint
    from mmsamkd.utils.trained_inputs import (
        input_normalisation,
        normalisation_differs,
    )

    by_run = {osp.splitext(osp.basename(p))[0]: p for p in CONFIGS}
    checked = 0
    for path in CONFIGS:
        cfg = load(path)
        for option, value in run_inputs(cfg):
            _, run, name = value.split('/')
            where = f'{config_id(path)}: {option} {value}'
            assert run in by_run, where
            source = load(by_run[run])
            trained = input_normalisation(source)
            used = input_normalisation(cfg)
            assert not normalisation_differs(trained, used), where
            saving = source.default_hooks.checkpoint
            keeps_all = saving.get('max_keep_ckpts', -1) == -1
            if keeps_all:  # MS-MGANs' snapshots (the first is its teacher)
                epoch = int(name[len('epoch_') : -len('.pth')])
                assert 1 <= epoch <= source.train_cfg.max_epochs, where
            else:
                assert name == final_checkpoint(source), where
            checked += 1
    assert checked >= 80


def test_no_shipped_run_is_evaluated_on_images_its_inputs_trained_on():
    """The runs a config starts from by default (its teacher, snapshots,
    load_from, and theirs in turn) trained on none of the images it is
    evaluated on: its own loaders, and for Fashion-MNIST the validation
    split every setting is chosen on (benchmarks/fmnist_methods.py
    --split val). train.py would refuse such a pair."""
    from mmsamkd.utils.seen_images import dataset_images, share_images

    by_run = {osp.splitext(osp.basename(p))[0]: p for p in CONFIGS}

    def trained_on(run, depth=4):
        source = load(by_run[run])
        found = dataset_images(source.train_dataloader.dataset)
        for _, value in run_inputs(source) if depth > 1 else ():
            found += trained_on(value.split('/')[1], depth - 1)
        return found

    checked = 0
    for path in CONFIGS:
        cfg = load(path)
        inputs = run_inputs(cfg)
        if not inputs:
            continue
        evaluated = []
        for loader in ('val_dataloader', 'test_dataloader'):
            evaluated += dataset_images(cfg[loader].dataset)
        train = cfg.train_dataloader.dataset
        if train.get('val_size'):
            val = dict(train, split='val', indices=None)
            evaluated += dataset_images(val)
        for option, value in inputs:
            for seen in trained_on(value.split('/')[1]):
                for images in evaluated:
                    assert not share_images(seen, images), (
                        config_id(path),
                        option,
                        seen,
                        images,
                    )
            checked += 1
    assert checked >= 80
