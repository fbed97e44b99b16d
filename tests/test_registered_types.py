"""A ``type`` no registry holds, and a config that is not a whole run, are
refused in one line before anything is built.

Before: ``model.backbone.type=ResNet9`` and
``param_scheduler.type=CosineAnnealingLr`` stopped with mmengine's
registry ``KeyError`` traceback, ``optim_wrapper.optimizer.type=SGDD``
with ``TypeError: None is not a callable object``, and a ``_base_``
dataset file given to ``tools/train.py`` with ``KeyError: 'model'``.
"""

import json
import os.path as osp

import pytest
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    REPO,
    STUDENT_CFG,
    TEACHER_CFG,
    options_args,
    run_tool_in_process,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils.registered_types import (
    check_loop_parts,
    check_registered_types,
    check_run_parts,
    config_types,
)

BASE_DATASET = f'{REPO}/configs/_base_/datasets/fashion_mnist.py'
RECORDER = 'model.distiller.student_recorders.logits.type'


def check(path=STUDENT_CFG, **options):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    check_registered_types(cfg)


@pytest.mark.parametrize(
    'key, typo, told',
    [
        ('model.backbone.type', 'ResNet9', "did you mean 'ResNet'"),
        (
            'optim_wrapper.optimizer.type',
            'SGDD',
            "did you mean 'SGD' or 'ASGD'?",
        ),
        (
            'train_dataloader.dataset.pipeline.1.type',
            'RandomCorp',
            "did you mean 'RandomCrop'",
        ),
        ('val_evaluator.0.type', 'Acuracy', "'Accuracy'"),
        ('model.type', 'mmpretrian.ImageClassifier', "'ImageClassifier'"),
        ('model.neck.type', 'Qxzqxz', 'registry holds it). Fix the name'),
        # paths of an empty module name, '..ResNet' one that importlib
        # itself refuses
        ('model.backbone.type', '.ResNet', "did you mean 'ResNet'"),
        ('model.backbone.type', '..ResNet', "did you mean 'ResNet'"),
    ],
)
def test_a_type_no_registry_holds_is_refused_by_its_key(key, typo, told):
    with pytest.raises(ConfigError) as error:
        check(**{key: typo})
    # the key as a user writes it, with list indices
    where = key.replace('.1.', '[1].').replace('.0.', '[0].')
    assert str(error.value).startswith(f'{where}={typo!r} is registered')
    assert told in str(error.value)


def test_a_list_of_schedulers_is_checked_entry_by_entry():
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.param_scheduler = [
        dict(type='LinearLR', begin=0, end=1),
        dict(type='CosineAnnealingLr', begin=1),
    ]
    with pytest.raises(ConfigError, match=r'^param_scheduler\[1\]\.type='):
        check_registered_types(cfg)


def test_a_recorder_is_written_without_its_suffix():
    # mmrazor builds type + 'Recorder': 'ModuleOutputs' is right
    check(KD_CFG)
    with pytest.raises(ConfigError, match="did you mean 'ModuleOutputs'"):
        check(KD_CFG, **{RECORDER: 'ModuleOutput'})
    # a suffix given twice is no recorder
    with pytest.raises(ConfigError, match=RECORDER):
        check(KD_CFG, **{RECORDER: 'ModuleOutputsRecorder'})


def test_scoped_names_and_import_paths_are_taken():
    check(
        **{
            'model.type': 'mmpretrain.ImageClassifier',
            'optim_wrapper.optimizer.type': 'torch.optim.SGD',
        }
    )
    with pytest.raises(ConfigError, match='torch.optim.SGDD'):
        check(**{'optim_wrapper.optimizer.type': 'torch.optim.SGDD'})


def test_batch_augments_of_a_registry_without_parent_are_taken():
    """MMPretrain's Mixup and CutMix live in BATCH_AUGMENTS, a registry
    with no parent: they were refused as registered nowhere."""
    mixes = [dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]
    check(**{'model.train_cfg': dict(augments=mixes)})
    with pytest.raises(ConfigError, match="did you mean 'Mixup'"):
        check(**{'model.train_cfg': dict(augments=dict(type='Mixpu'))})


def test_a_module_that_fails_to_import_shows_its_own_error(
    tmp_path, monkeypatch
):
    # not "registered nowhere": the user's module has a bug to see
    (tmp_path / 'broken_net_module.py').write_text(
        "raise RuntimeError('bug in broken_net_module')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match='bug in broken_net_module'):
        check(**{'model.backbone.type': 'broken_net_module.Net'})


def test_config_variables_are_not_reported_as_such():
    # top-level variables are inlined where entries read them; only the
    # parts the Runner builds are walked (a wrong variable that nothing
    # reads is config_keys' business)
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.merge_from_dict({'spare_backbone': dict(type='NoSuchNet')})
    check_registered_types(cfg)
    assert ('spare_backbone.type', 'NoSuchNet') in list(
        config_types(cfg._cfg_dict.to_dict())
    )


def test_a_type_registered_by_custom_imports_is_taken(tmp_path, monkeypatch):
    (tmp_path / 'my_registered_net.py').write_text(
        'from mmpretrain.registry import MODELS\n'
        'from mmpretrain.models import ResNet_CIFAR\n'
        '@MODELS.register_module()\n'
        'class MyRegisteredTestNet(ResNet_CIFAR):\n'
        '    pass\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / 'mine.py'
    config.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\n'
        "model = dict(backbone=dict(type='MyRegisteredTestNet'))\n"
    )
    with pytest.raises(ConfigError, match='custom_imports'):
        check_registered_types(Config.fromfile(config))
    config.write_text(
        config.read_text()
        + "custom_imports = dict(imports=['my_registered_net'])\n"
    )
    check_registered_types(Config.fromfile(config))


@pytest.mark.parametrize(
    'purpose, missing',
    [('train', 'model, train_cfg, optim_wrapper'), ('test', 'model')],
)
def test_a_base_file_is_not_a_whole_run(purpose, missing):
    with pytest.raises(ConfigError, match=f'has no {missing}: it is not'):
        check_run_parts(Config.fromfile(BASE_DATASET), purpose, BASE_DATASET)
    cfg = Config.fromfile(STUDENT_CFG)
    check_run_parts(cfg, purpose, STUDENT_CFG)
    # a part set to None, as a child config drops one, is missing too
    cfg.model = None
    with pytest.raises(ConfigError, match='has no model: it is not'):
        check_run_parts(cfg, purpose, STUDENT_CFG)


def test_a_loop_has_all_its_parts_or_none():
    """Before: ``val_cfg=None`` beside a validation loader stopped in the
    Runner's constructor (a ``ValueError`` printing the whole loader);
    ``val_evaluator=[]`` validated to no metric, rc 0."""
    cfg = Config.fromfile(STUDENT_CFG)
    check_loop_parts(cfg)
    cfg.val_cfg = None
    with pytest.raises(
        ConfigError,
        match='^val_cfg is None but val_dataloader, val_evaluator are set',
    ):
        check_loop_parts(cfg)
    cfg.val_dataloader = cfg.val_evaluator = None  # no validation at all
    check_loop_parts(cfg)
    cfg.test_dataloader = cfg.test_evaluator = None
    with pytest.raises(
        ConfigError,
        match='^test_dataloader, test_evaluator are None but test_cfg is',
    ):
        check_loop_parts(cfg)
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.optim_wrapper = None
    with pytest.raises(ConfigError, match='^optim_wrapper is None but'):
        check_loop_parts(cfg)
    for key in ('val_evaluator', 'test_evaluator'):
        cfg = Config.fromfile(STUDENT_CFG)
        cfg[key] = []
        with pytest.raises(ConfigError, match=f'^{key} is an empty list'):
            check_loop_parts(cfg)


def test_a_run_without_validation_trains_and_is_not_compared(tmp_path):
    """Before: a run with all three validation parts None stopped in
    mmsamkd's own run record (``describe_evaluation``) with an
    ``AttributeError``."""
    no_validation = {
        'val_dataloader': None,
        'val_cfg': None,
        'val_evaluator': None,
    }
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path / 'run',
        *options_args(no_validation),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / 'run' / 'epoch_1.pth').exists()
    record = json.loads((tmp_path / 'run' / 'run_config.json').read_text())
    assert record['evaluation'] == 'no validation'
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path / 'half',
        *options_args({'val_cfg': None}),
    )
    assert_one_line_error(result, 'val_cfg is None but val_dataloader')
    result = run_tool_in_process(
        'compare.py',
        STUDENT_CFG,
        '--work-dir-root',
        tmp_path / 'root',
        *options_args(no_validation),
    )
    assert_one_line_error(result, 'the run has no validation')
    assert not (tmp_path / 'root' / 'resnet8-quarter_1xb64_fmnist').exists()
    result = run_tool_in_process(
        'test.py',
        STUDENT_CFG,
        tmp_path / 'run' / 'epoch_1.pth',
        '--work-dir',
        tmp_path / 'test',
        *options_args({'test_cfg': None}),
    )
    assert_one_line_error(result, 'test_cfg is None but test_dataloader')


def test_the_tools_refuse_a_typo_type_and_a_base_file(tmp_path):
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path / 'typo',
        '--cfg-options',
        'param_scheduler.type=CosineAnnealingLr',
    )
    assert_one_line_error(
        result, "param_scheduler.type='CosineAnnealingLr'", 'CosineAnnealingLR'
    )
    result = run_tool_in_process(
        'train.py', BASE_DATASET, '--work-dir', tmp_path / 'base'
    )
    assert_one_line_error(result, 'has no model, train_cfg, optim_wrapper')
    assert not (tmp_path / 'typo').exists()
    assert not (tmp_path / 'base').exists()
    checkpoint = tmp_path / 'any.pth'
    checkpoint.write_bytes(b'')
    result = run_tool_in_process('test.py', BASE_DATASET, checkpoint)
    assert_one_line_error(result, 'has no model')
    result = run_tool_in_process(
        'test.py',
        STUDENT_CFG,
        checkpoint,
        '--cfg-options',
        'model.head.type=LinearClsHed',
    )
    assert_one_line_error(result, "model.head.type='LinearClsHed'")


def test_compare_checks_every_listed_run_before_it_trains_one(tmp_path):
    # the misspelt loss is the second run's: before, the teacher trained
    # first and the typo stopped the comparison when the student's turn came
    child = tmp_path / 'kd_typo.py'
    child.write_text(
        f'_base_ = [{KD_CFG!r}]\n'
        'model = dict(distiller=dict(distill_losses=dict(\n'
        "    loss_kd=dict(type='KLDivergance'))))\n"
    )
    # a root per call: an in-process compare.py may hold its root's lock
    # until its frame is collected
    root = tmp_path / 'typo'
    # a tiny schedule: a check that came too late would train it
    result = run_tool_in_process(
        'compare.py',
        TEACHER_CFG,
        child,
        '--work-dir-root',
        root,
        *options_args({}),
    )
    assert_one_line_error(
        result,
        f"{child}: model.distiller.distill_losses.loss_kd.type='KLDivergance'",
        "did you mean 'KLDivergence'?",
    )
    assert not (root / 'resnet14_1xb64_fmnist').exists()
    # and the overrides it passes to every run, as train.py checks them
    result = run_tool_in_process(
        'compare.py',
        TEACHER_CFG,
        '--work-dir-root',
        tmp_path / 'options',
        '--cfg-options',
        'val_evaluator.topk=5',
    )
    assert_one_line_error(
        result, f'{TEACHER_CFG}: --cfg-options val_evaluator.topk'
    )
    root = tmp_path / 'base'
    result = run_tool_in_process(
        'compare.py', TEACHER_CFG, BASE_DATASET, '--work-dir-root', root
    )
    assert_one_line_error(result, f'error: {BASE_DATASET} has no model')
    assert not (root / 'resnet14_1xb64_fmnist').exists()
    # a seed numpy does not take: before, the teacher (shared by the
    # seeds) trained first
    root = tmp_path / 'seeds'
    result = run_tool_in_process(
        'compare.py',
        TEACHER_CFG,
        KD_CFG,
        '--work-dir-root',
        root,
        '--seeds',
        '0',
        '-1',
        *options_args({}),
    )
    assert_one_line_error(result, '--seeds: randomness.seed=-1')
    assert not (root / 'resnet14_1xb64_fmnist').exists()
    # a metric whose better direction nothing says
    recall = tmp_path / 'recall.py'
    recall.write_text(
        f'_base_ = [{TEACHER_CFG!r}]\n'
        "val_evaluator = [dict(type='SingleLabelMetric', items=('recall',))]\n"
    )
    for config, metric, told in [
        # the validation does not give it: before, every run trained, then
        # the table stopped on a run that "holds no records"
        (
            TEACHER_CFG,
            'accuracy/top5',
            f"{TEACHER_CFG}: --metric 'accuracy/top5' is not a metric of its "
            'validation (it gives accuracy/top1)',
        ),
        # of a prefix no evaluator gives, when every evaluator is known
        (
            TEACHER_CFG,
            'single-label/recall',
            "--metric 'single-label/recall' is not a metric of its "
            'validation (it gives accuracy/top1, transfer/ece): the runs '
            'would train and give the table nothing to read. Name one of '
            'those.',
        ),
        # the teacher's: before, trained, then tabulated the teacher (a
        # plain run: "holds no records")
        (
            TEACHER_CFG,
            'teacher.accuracy/top1',
            "--metric 'teacher.accuracy/top1' scores the teacher, which "
            "every student's row gives in its teacher column already",
        ),
        # before: trained, its 'best' the highest value, whatever the metric
        (
            recall,
            'single-label/recall',
            "--metric 'single-label/recall': neither its evaluator nor its "
            'name says whether a higher or a lower value is better',
        ),
    ]:
        root = tmp_path / 'metric'
        result = run_tool_in_process(
            'compare.py',
            config,
            '--work-dir-root',
            root,
            '--metric',
            metric,
            *options_args({}),
        )
        assert_one_line_error(result, told)
        assert not (root / osp.splitext(osp.basename(config))[0]).exists()
