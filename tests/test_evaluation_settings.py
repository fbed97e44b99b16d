"""Evaluation settings that would score the wrong images, score them
differently each time, or keep the wrong checkpoint as the best are
refused in one line.

Before: ``val_dataloader.drop_last=True`` scored the images of whole
batches only, rc 0; the training pipeline in ``val_dataloader`` scored
random crops and flips, rc 0; ``save_best='teacher.accuracy/top1'`` kept
the first epoch's student as the best (the frozen teacher scores the same
each time) and ``rule='less'`` the worst, rc 0; an ``InfiniteSampler`` in
``val_dataloader`` never ended the first validation.
"""

import re

import pytest
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    STUDENT_CFG,
    TEACHER_CFG,
    options_args,
    run_tool_in_process,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils.evaluation_settings import (
    check_evaluation_loaders,
    check_evaluation_settings,
    random_transforms,
)

BEST = 'default_hooks.checkpoint.save_best'
RULE = 'default_hooks.checkpoint.rule'


def settings(path=STUDENT_CFG, **options):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    check_evaluation_settings(cfg)


@pytest.mark.parametrize(
    'option, value, told',
    [
        ('val_dataloader.drop_last', True, 'val_dataloader.drop_last=True'),
        (
            'test_dataloader.batch_sampler',
            dict(type='BatchSampler', drop_last=True),
            'test_dataloader.batch_sampler.drop_last=True',
        ),
        (
            'val_dataloader.sampler.type',
            'InfiniteSampler',
            "val_dataloader.sampler.type='InfiniteSampler' does not read",
        ),
        (
            'test_dataloader.sampler.type',
            'RepeatAugSampler',
            "test_dataloader.sampler.type='RepeatAugSampler' does not read",
        ),
    ],
)
def test_an_evaluation_loader_reads_each_image_once(option, value, told):
    with pytest.raises(ConfigError, match=told):
        settings(**{option: value})


def test_what_reads_each_image_once_is_allowed():
    settings(
        **{
            'val_dataloader.drop_last': False,
            'val_dataloader.sampler.shuffle': True,
            'test_dataloader.sampler.type': 'mmengine.DefaultSampler',
            'train_dataloader.drop_last': True,  # training may drop
        }
    )


def test_random_transforms_are_found_in_every_wrapped_pipeline():
    flip = dict(type='RandomFlip', prob=0.5)
    pack = dict(type='PackInputs')
    assert random_transforms(dict(pipeline=[flip, pack])) == ['RandomFlip']
    assert random_transforms(dict(pipeline=[dict(flip, prob=0), pack])) == []
    jitter = dict(type='mmpretrain.ColorJitter', brightness=0.4)
    assert random_transforms(dict(pipeline=[jitter, pack])) == ['ColorJitter']
    wrapped = dict(
        type='ConcatDataset',
        datasets=[
            dict(pipeline=[pack]),
            dict(
                type='RepeatDataset',
                dataset=dict(pipeline=[dict(type='RandomCrop'), pack]),
            ),
        ],
    )
    assert random_transforms(wrapped) == ['RandomCrop']
    assert random_transforms(dict(pipeline=[pack])) == []


def test_the_training_pipeline_in_an_evaluation_loader_is_refused(tmp_path):
    """Through tools/train.py: a child config that evaluates on the
    training pipeline, as a copied loader would."""
    child = tmp_path / 'child.py'
    child.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\n'
        'val_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))\n'
    )
    result = run_tool_in_process(
        'train.py', child, '--work-dir', tmp_path, *options_args({})
    )
    assert_one_line_error(
        result, 'val_dataloader.dataset.pipeline holds RandomCrop, RandomFlip'
    )
    assert not list(tmp_path.glob('*.pth'))


def test_save_best_must_be_an_accuracy_the_validation_gives():
    """Before: ``save_best='accuracy/top5'`` under ``topk=(1,)`` stopped
    with a ``KeyError`` traceback after the first epoch; so did
    ``save_best='loss'``."""
    with pytest.raises(
        ConfigError,
        match=r"save_best='accuracy/top5' .*gives accuracy/top1\): .* add "
        "the k to val_evaluator's topk",
    ):
        settings(**{BEST: 'accuracy/top5'})
    with pytest.raises(ConfigError, match="entry 'accuracy/top5'"):
        settings(**{BEST: ['accuracy/top1', 'accuracy/top5']})
    settings(**{BEST: 'accuracy/top1'})
    settings(**{BEST: 'accuracy/top5', 'val_evaluator.0.topk': (1, 5)})
    settings(**{BEST: 'accuracy/top5', 'val_evaluator.0.topk': 5})
    # names of an accuracy with several thresholds are known only once it
    # runs: not checked
    settings(**{BEST: 'accuracy/top5', 'val_evaluator.0.thrs': (0.0, 0.5)})
    # one threshold in a tuple: plain names; topk's default is (1,)
    with pytest.raises(ConfigError, match="save_best='accuracy/top5'"):
        settings(**{BEST: 'accuracy/top5', 'val_evaluator.0.thrs': (0.5,)})
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.val_evaluator = [dict(type='Accuracy')]
    cfg.merge_from_dict({BEST: 'accuracy/top1'})
    check_evaluation_settings(cfg)
    # an evaluator of another prefix
    with pytest.raises(ConfigError, match="save_best='acc/top2'"):
        settings(**{BEST: 'acc/top2', 'val_evaluator.0.prefix': 'acc'})
    # a name of no evaluator's, where every evaluator's names are known
    with pytest.raises(
        ConfigError,
        match=r"'loss' is not .* accuracy/top1, transfer/ece\): .* those\.$",
    ):
        settings(**{BEST: 'loss'})
    # two Accuracy evaluators of one prefix, one of several thresholds:
    # its names are known only once it runs
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.val_evaluator = [
        dict(type='Accuracy', thrs=(0.0, 0.5)),
        dict(type='Accuracy', topk=(1,)),
    ]
    cfg.merge_from_dict({BEST: 'accuracy/top5'})
    check_evaluation_settings(cfg)
    # ... and where an evaluator of unknown names may give it
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.val_evaluator.append(dict(type='SingleLabelMetric'))
    cfg.merge_from_dict({BEST: 'single-label/f1-score'})
    check_evaluation_settings(cfg)


def test_the_better_direction_of_a_metric():
    """What compare.py's 'best' column picks by."""
    from mmsamkd.utils.evaluation_settings import metric_direction

    student = Config.fromfile(STUDENT_CFG)
    kd = Config.fromfile(KD_CFG)
    assert metric_direction(student, 'accuracy/top1') == 'greater'
    assert metric_direction(student, 'transfer/ece') == 'less'
    assert metric_direction(kd, 'transfer/kl') == 'less'
    assert metric_direction(kd, 'transfer/agreement') == 'greater'
    # other evaluators' metrics: as MMEngine infers from the name
    assert metric_direction(student, 'single-label/precision') == 'greater'
    assert metric_direction(student, 'single-label/recall') is None


def test_save_best_scores_the_trained_model_in_its_direction():
    # before: rc 0, the first epoch's student kept as the best
    with pytest.raises(ConfigError, match='scores the teacher, not the'):
        settings(KD_CFG, **{BEST: 'teacher.accuracy/top1'})
    with pytest.raises(ConfigError, match='scores the teacher, not the'):
        settings(KD_CFG, **{BEST: 'transfer/teacher_ece', RULE: 'less'})
    # before: rc 0, the worst checkpoint kept as the best
    with pytest.raises(
        ConfigError,
        match=r"save_best='auto' \(the first metric, accuracy/top1\) with "
        r"rule='less' keeps .* lowest accuracy/top1",
    ):
        settings(**{RULE: 'less'})
    # 'auto' under an Accuracy of its own prefix
    with pytest.raises(ConfigError, match=r'the first metric, acc/top1\)'):
        settings(**{RULE: 'less', 'val_evaluator.0.prefix': 'acc'})
    with pytest.raises(ConfigError, match=r"highest transfer/kl.*'less'"):
        settings(KD_CFG, **{BEST: 'transfer/kl', RULE: 'greater'})
    # before: MMEngine's ValueError traceback (it cannot tell the rule)
    with pytest.raises(ConfigError, match="cannot tell .*rule='less'"):
        settings(**{BEST: 'transfer/ece'})
    # before: a KeyError an epoch in (a student alone has no teacher)
    with pytest.raises(ConfigError, match="'transfer/kl' is not a metric"):
        settings(**{BEST: 'transfer/kl', RULE: 'less'})
    settings(**{BEST: 'transfer/ece', RULE: 'less'})
    settings(KD_CFG, **{BEST: 'transfer/agreement', RULE: 'greater'})
    settings(KD_CFG, **{BEST: 'transfer/kl', RULE: 'less'})
    settings(**{RULE: 'greater'})
    settings(**{BEST: ['accuracy/top1', 'transfer/ece'], RULE: [None, 'less']})


def test_train_tool_refuses_a_best_checkpoint_of_the_teacher(tmp_path):
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args({BEST: 'teacher.accuracy/top1'}),
    )
    assert_one_line_error(result, "save_best='teacher.accuracy/top1' scores")


def test_only_the_loaders_named_are_checked():
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.merge_from_dict({'val_dataloader.drop_last': True})
    check_evaluation_loaders(cfg, ['test_dataloader'])


def test_checkpoints_stay_in_the_work_dir(tmp_path):
    """Before: with out_dir, a fresh run over an earlier one overwrote its
    checkpoints there, rc 0 (the check for them looks in the work dir)."""
    settings(**{'default_hooks.checkpoint.out_dir': None})
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'default_hooks.checkpoint.out_dir': tmp_path / 'c'}),
    )
    assert_one_line_error(
        result, f"out_dir='{tmp_path / 'c'}': the tools keep a run's"
    )
    assert not (tmp_path / 'c').exists()


@pytest.mark.parametrize(
    'topk, told',
    [
        (0, 'val_evaluator.0.topk=0: top-k accuracy counts'),
        ((1, 0), 'val_evaluator.0.topk=(1, 0): top-k accuracy counts'),
        (1.5, 'val_evaluator.0.topk=1.5: top-k accuracy counts'),
        (True, 'val_evaluator.0.topk=True: top-k accuracy counts'),
        (
            (1, 11),
            'val_evaluator.0.topk=(1, 11): top-11 needs 11 classes, but '
            'the head predicts 10',
        ),
    ],
)
def test_accuracy_topk_is_a_rank_the_head_has(topk, told):
    """Before: topk=0 ran to rc 0 with ``accuracy/top0: 0.0`` (the best
    checkpoint chosen by it); a k above the class count stopped after the
    first epoch, at the first validation."""
    with pytest.raises(ConfigError, match=re.escape(told)):
        settings(**{'val_evaluator.0.topk': topk})
    with pytest.raises(ConfigError, match='top-11 needs 11 classes'):
        settings(KD_CFG, **{'val_evaluator.0.topk': (1, 11)})


def test_accuracy_topk_up_to_the_class_count_is_kept():
    settings(**{'val_evaluator.0.topk': (1, 10)})
    settings(**{'val_evaluator.0.topk': 5})
    # one evaluator, not a list
    cfg = Config.fromfile(STUDENT_CFG)
    cfg.val_evaluator = dict(type='Accuracy', topk=(1, 5))
    check_evaluation_settings(cfg)
    cfg.val_evaluator.topk = (1, 50)
    with pytest.raises(ConfigError, match=r'^val_evaluator.topk=\(1, 50\)'):
        check_evaluation_settings(cfg)


def test_test_tool_checks_the_test_evaluator(tmp_path, fmnist_teacher_ckpt):
    result = run_tool_in_process(
        'test.py',
        TEACHER_CFG,
        fmnist_teacher_ckpt,
        '--work-dir',
        tmp_path,
        *options_args({'test_evaluator.0.topk': 0}),
    )
    assert_one_line_error(result, 'test_evaluator.0.topk=0: top-k')
