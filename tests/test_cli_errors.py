"""Bad input through tools/train.py: one clear line, no traceback.

A few tests run the tool as a new process, for the exit-code contract;
the rest call its main() in this process (run_tool_in_process)."""

import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest
import torch

from conftest import (
    KD_CFG,
    REPO,
    STUDENT_CFG,
    TEACHER_CFG,
    options_args,
    run_tool,
    run_tool_in_process,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils import check_config


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.startswith('error:')
    ]
    assert len(lines) == 1, result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_teacher_checkpoint(tmp_path):
    missing = tmp_path / 'teacher.pth'
    result = run_tool(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'model.teacher_ckpt': missing}),
    )
    assert_one_line_error(result, str(missing), 'configs/teachers')


def test_teacher_and_student_class_counts_differ(tmp_path):
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'model.teacher.head.num_classes': 7}),
    )
    assert_one_line_error(
        result, 'teacher predicts 7 classes', 'student predicts 10'
    )


def test_missing_dataset_path(tmp_path):
    missing = tmp_path / 'no-fmnist'
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path,
        *options_args({'train_dataloader.dataset.data_root': missing}),
    )
    assert_one_line_error(
        result, str(missing), 'apt-get install -y dataset-fashion-mnist'
    )


def test_amp_on_a_cpu_without_bf16_is_refused(tmp_path, monkeypatch):
    """--amp runs on a GPU, and on a CPU with bf16 instructions; on any
    other CPU, one line says why not."""
    from mmsamkd.engine.optimizers import mixed_precision

    monkeypatch.setattr(mixed_precision, 'get_device', lambda: 'cpu')
    monkeypatch.setattr(mixed_precision, 'cpu_computes_bf16', lambda: False)
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--amp', '--work-dir', tmp_path
    )
    assert_one_line_error(result, 'needs bf16 instructions', 'Drop --amp')


def test_check_config_accepts_consistent_kd_config(fmnist_teacher_ckpt):
    from mmengine.config import Config

    cfg = Config.fromfile(KD_CFG)
    cfg.model.teacher_ckpt = fmnist_teacher_ckpt
    check_config(cfg)  # no error
    cfg.model.architecture.head.num_classes = 3
    with pytest.raises(ConfigError, match='student predicts 3'):
        check_config(cfg)


def test_validation_split_must_be_held_out_of_training(tmp_path):
    val = {
        'val_dataloader.dataset.split': 'val',
        'val_dataloader.dataset.test_mode': False,
        'val_dataloader.dataset.val_size': 10000,
    }
    leaky = dict(val, **{'train_dataloader.dataset.val_size': 0})
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options_args(leaky)
    )
    assert_one_line_error(
        result, "val_dataloader evaluates on split='val'", 'would train on its'
    )
    from mmengine.config import Config

    cfg = Config.fromfile(STUDENT_CFG)
    cfg.merge_from_dict(val)
    check_config(cfg)  # the shipped base holds the same val_size out


def test_missing_load_from_names_the_run_to_train_first(tmp_path):

    ssa_teacher = (
        f'{REPO}/configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
    )
    missing = tmp_path / 'plain_teacher.pth'
    result = run_tool_in_process(
        'train.py',
        ssa_teacher,
        '--work-dir',
        tmp_path,
        *options_args({'load_from': missing}),
    )
    assert_one_line_error(result, f'load_from {str(missing)!r} does not exist')


MSMGAN = 'msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'


def test_a_folder_given_as_a_checkpoint_is_named_as_one(tmp_path):
    """Before: a run folder given as ``load_from``, ``teacher_ckpt``, a
    teacher snapshot or ``--resume`` was reported as not existing."""
    run = tmp_path / 'teacher'
    run.mkdir()
    (run / 'epoch_1.pth').write_bytes(b'')
    told = f'{str(run)!r} is a folder, not a checkpoint file'
    for key, tool_args, options in (
        ('load_from', (TEACHER_CFG,), {'load_from': run}),
        ('teacher_ckpt', (KD_CFG,), {'model.teacher_ckpt': run}),
        ('--resume', (TEACHER_CFG, '--resume', run), {}),
        (
            'teacher snapshot',
            (f'{REPO}/configs/msmgan/{MSMGAN}',),
            {
                'model.teacher_ckpt': run / 'epoch_1.pth',
                'model.teacher_snapshots': f'[{run}]',
            },
        ),
    ):
        result = run_tool_in_process(
            'train.py',
            *tool_args,
            '--work-dir',
            tmp_path / 'run',
            *options_args(options),
        )
        assert_one_line_error(
            result, f'error: {key} {told}', '(it holds epoch_1.pth)'
        )
    assert not (tmp_path / 'run').exists()


@pytest.mark.parametrize(
    'teacher_stage', ['resnet14_ssa-frozen', 'resnet14_sskd-head']
)
def test_frozen_stage_without_load_from_is_refused(teacher_stage):
    from mmengine.config import Config

    cfg = Config.fromfile(
        f'{REPO}/configs/teachers/{teacher_stage}_1xb64_fmnist.py'
    )
    cfg.load_from = None
    with pytest.raises(ConfigError, match='that network would be random'):
        check_config(cfg)


def test_resume_without_a_checkpoint_keeps_load_from(tmp_path):
    # mmengine's resume drops load_from: the frozen-branch teacher would
    # train its branches on a random backbone, and a missing file would
    # never be reported

    ssa_teacher = (
        f'{REPO}/configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
    )
    missing = tmp_path / 'plain_teacher.pth'
    args = ('train.py', ssa_teacher, '--work-dir', tmp_path, '--resume')
    result = run_tool_in_process(*args, *options_args({'load_from': missing}))
    assert_one_line_error(result, f'load_from {str(missing)!r} does not exist')
    result = run_tool_in_process(
        'train.py',
        ssa_teacher,
        '--work-dir',
        tmp_path,
        '--resume',
        tmp_path / 'epoch_9.pth',
        *options_args({}),
    )
    assert_one_line_error(result, 'epoch_9.pth', 'no such checkpoint')


def test_resume_without_a_checkpoint_starts_from_load_from(
    fmnist_teacher_ckpt, tmp_path
):

    ssa_teacher = (
        f'{REPO}/configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
    )
    result = run_tool_in_process(
        'train.py',
        ssa_teacher,
        '--work-dir',
        tmp_path,
        '--resume',
        *options_args({'load_from': fmnist_teacher_ckpt}),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f'starting from {fmnist_teacher_ckpt}' in result.stdout
    plain = torch.load(fmnist_teacher_ckpt, weights_only=False)['state_dict']
    ssa = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)
    # the frozen backbone is the loaded teacher's, not a random one
    for key, value in plain.items():
        assert torch.equal(ssa['state_dict'][key], value), key


SAMKD_CFG = 'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py'


def test_distributed_samkd_needs_its_wrapper(tmp_path):
    result = run_tool_in_process(
        'train.py',
        SAMKD_CFG,
        '--work-dir',
        tmp_path,
        '--launcher',
        'pytorch',
        *options_args({'model_wrapper_cfg.type': 'MMDistributedDataParallel'}),
    )
    assert_one_line_error(
        result, 'SAMKDDistributedDataParallel', 'MMDistributedDataParallel'
    )


@pytest.mark.parametrize(
    'config, options, named',
    [
        # a head copied from a CIFAR-100 config: trained with rc 0
        (STUDENT_CFG, {'model.head.num_classes': 100}, 'model.head.num'),
        # both heads of 5 (their count agrees): the loss's IndexError
        (
            KD_CFG,
            {
                'model.architecture.head.num_classes': 5,
                'model.teacher.head.num_classes': 5,
            },
            'model.architecture.head.num',
        ),
    ],
)
def test_heads_that_do_not_fit_the_data_are_refused(
    tmp_path, config, options, named
):
    result = run_tool_in_process(
        'train.py', config, '--work-dir', tmp_path, *options_args(options)
    )
    count = next(iter(options.values()))
    assert_one_line_error(
        result,
        f'{named}_classes is {count} but train_dataloader reads '
        'LocalFashionMNIST, which has 10 classes. Set it to 10',
    )
    assert not list(tmp_path.glob('*.pth'))
    if config == STUDENT_CFG:  # tools/test.py: a number over other labels
        checkpoint = tmp_path / 'epoch_1.pth'
        checkpoint.write_bytes(b'')
        result = run_tool_in_process(
            'test.py', config, checkpoint, *options_args(options)
        )
        assert_one_line_error(
            result, f'{named}_classes is {count} but test_dataloader reads'
        )


def test_the_class_count_of_a_dataset_config():
    from mmengine.config import ConfigDict

    from mmsamkd.utils.config_check import dataset_class_count

    def count(**dataset):
        return dataset_class_count(ConfigDict(dataset))

    assert count(type='LocalFashionMNIST') == 10
    assert count(type='mmpretrain.CIFAR100') == 100
    assert count(type='RepeatDataset', dataset=dict(type='LocalCIFAR10')) == 10
    assert count(type='LocalCIFAR100', metainfo=dict(classes=['a', 'b'])) == 2
    # known once built: Tiny-ImageNet's wnids.txt, a folder of classes
    assert count(type='TinyImageNet', data_root='x') is None
    assert count(type='CustomDataset', data_root='x') is None
    assert count(type='NoSuchDataset') is None


@pytest.mark.parametrize(
    'tool, launcher, unset',
    [
        ('train.py', 'pytorch', 'RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'),
        ('train.py', 'slurm', 'SLURM_PROCID, SLURM_NTASKS, SLURM_NODELIST'),
        ('train.py', 'mpi', 'OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_LOCAL'),
        ('test.py', 'pytorch', 'RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'),
    ],
)
def test_a_launcher_that_did_not_start_the_process(
    tmp_path, monkeypatch, tool, launcher, unset
):
    """Before, ``--launcher pytorch`` without torchrun (the same for srun,
    mpirun) ended in a ``KeyError: 'RANK'`` traceback from mmengine."""
    from mmsamkd.utils.distributed import LAUNCH_VARIABLES

    for variables, _, _ in LAUNCH_VARIABLES.values():
        for name in variables:
            monkeypatch.delenv(name, raising=False)
    args = [STUDENT_CFG, '--work-dir', tmp_path, '--launcher', launcher]
    if tool == 'test.py':
        args.insert(1, tmp_path / 'epoch_1.pth')
        (tmp_path / 'epoch_1.pth').write_bytes(b'')
    result = run_tool_in_process(tool, *args)
    program = LAUNCH_VARIABLES[launcher][1]
    assert_one_line_error(
        result, f'started by {program}', unset, 'drop --launcher'
    )
    # a variable the launcher set is not named
    variables = LAUNCH_VARIABLES[launcher][0]
    monkeypatch.setenv(variables[0], '0')
    result = run_tool_in_process(tool, *args)
    assert_one_line_error(result, 'but ' + unset.split(', ', 1)[1])
    assert f'{unset.split(",")[0]},' not in result.stderr
    for name in variables[1:-1]:
        monkeypatch.setenv(name, '0')
    result = run_tool_in_process(tool, *args)
    assert_one_line_error(result, f'but {variables[-1]} is not set.')


@pytest.mark.parametrize('launcher', ['none', 'pytorch'])
def test_samkd_wrapper_check_accepts_the_shipped_config(launcher):
    from mmengine.config import Config

    from mmsamkd.utils import check_distributed_wrapper

    cfg = Config.fromfile(SAMKD_CFG)
    cfg.launcher = launcher
    check_distributed_wrapper(cfg)
    # a single process never wraps the model, so no wrapper is needed there
    cfg.model_wrapper_cfg = None
    if launcher == 'none':
        check_distributed_wrapper(cfg)
    else:
        with pytest.raises(ConfigError, match="got 'MMDistributedDataP"):
            check_distributed_wrapper(cfg)


@pytest.mark.parametrize('script', ['train.py', 'test.py', 'compare.py'])
def test_a_config_after_cfg_options_is_named(script):
    # --cfg-options takes every word after it: the config must come first
    result = run_tool_in_process(
        script, '--cfg-options', 'randomness.seed=1', KD_CFG
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    assert (
        f"--cfg-options takes key=value pairs, not '{KD_CFG}'; put config "
        'files before --cfg-options'
    ) in result.stderr


def test_training_on_the_evaluation_split_is_refused():
    from mmengine.config import Config

    from mmsamkd.utils.run_results import run_record

    cfg = Config.fromfile(STUDENT_CFG)
    check_config(cfg)
    record = run_record(cfg)
    assert record['split'] == 'train'
    assert record['data_root'] == cfg.train_dataloader.dataset.data_root
    cfg.merge_from_dict({'train_dataloader.dataset.split': 'test'})
    with pytest.raises(ConfigError, match="both read split 'test'"):
        check_config(cfg)
    assert run_record(cfg)['split'] == 'test'  # a record tells them apart


def test_export_never_overwrites_the_checkpoint_or_an_earlier_file(tmp_path):
    """Before: --out CKPT replaced the training checkpoint, and --out
    student.py wrote the config over the weights."""

    import torch

    from mmsamkd.errors import MmsamkdError
    from mmsamkd.student_export import export

    ckpt = str(tmp_path / 'epoch_1.pth')
    weights = {'architecture.backbone.w': torch.ones(2)}
    torch.save({'meta': {}, 'state_dict': weights}, ckpt)
    before = open(ckpt, 'rb').read()

    with pytest.raises(MmsamkdError, match='would replace'):
        export(ckpt, out=ckpt)
    with pytest.raises(MmsamkdError, match='must end in .pth'):
        export(ckpt, out=str(tmp_path / 'student.py'))
    out = str(tmp_path / 'student.pth')
    assert export(ckpt, out=out)[0] == out
    with pytest.raises(MmsamkdError, match='exists; pass --force'):
        export(ckpt, out=out)
    export(ckpt, out=out, force=True)
    assert open(ckpt, 'rb').read() == before
    exported = torch.load(out, weights_only=False)['state_dict']
    assert list(exported) == ['backbone.w']
    # without --out: beside the checkpoint, as the README says
    default = str(tmp_path / 'epoch_1_student.pth')
    assert export(ckpt) == (default, None)  # no stored config, no .py
    assert list(torch.load(default, weights_only=False)['state_dict']) == [
        'backbone.w'
    ]


@pytest.mark.slow
def test_a_fresh_run_never_overwrites_another_configs_run(tmp_path):
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options_args({})
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first = (tmp_path / 'epoch_1.pth').read_bytes()
    record = (tmp_path / 'run_config.json').read_text()
    options = options_args({'train_cfg.max_epochs': 2})
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options
    )
    assert_one_line_error(result, 'holds the checkpoints of a run of other')
    assert (tmp_path / 'epoch_1.pth').read_bytes() == first
    assert (tmp_path / 'run_config.json').read_text() == record
    # the same settings again: continued with --resume, not started over
    again = ('train.py', STUDENT_CFG, '--work-dir', tmp_path)
    result = run_tool_in_process(*again, *options_args({}))
    assert_one_line_error(
        result, 'an earlier run of these settings', '--resume'
    )
    assert (tmp_path / 'epoch_1.pth').read_bytes() == first
    result = run_tool_in_process(*again, '--resume', *options_args({}))
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_fresh_run_never_starts_over_an_earlier_one(tmp_path):
    """Before: a fresh run in a dir holding an earlier run's checkpoints
    (one that crashed, or trained before a code change) overwrote the
    epochs the two shared and kept the earlier best_*.pth beside its own,
    rc 0: a best checkpoint of another run among this one's files."""
    (tmp_path / 'best_accuracy_top1_epoch_3.pth').write_bytes(b'earlier')
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options_args({})
    )
    assert_one_line_error(result, 'an earlier run of these settings')
    assert not (tmp_path / 'epoch_1.pth').exists()


def test_cfg_options_keep_spaces_and_refuse_joined_pairs(capsys):
    import argparse

    from mmsamkd.utils.cli import CfgOptionsAction

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    args = parser.parse_args(
        [
            '--cfg-options',
            'load_from=/data/my runs/epoch_3.pth',
            'train_cfg.max_epochs=2',
            'model.teacher_snapshots=[a.pth,b.pth]',
        ]
    )
    assert args.cfg_options == {
        'load_from': '/data/my runs/epoch_3.pth',  # spaces kept
        'train_cfg.max_epochs': 2,
        'model.teacher_snapshots': ['a.pth', 'b.pth'],
    }
    with pytest.raises(SystemExit):
        parser.parse_args(
            ['--cfg-options', 'train_cfg.max_epochs=1 randomness.seed=3']
        )
    assert 'several key=value pairs' in capsys.readouterr().err


@pytest.mark.parametrize(
    'value, told',
    [
        # before: RecursionError from MMEngine's parser
        (
            "val_dataloader.dataset.pipeline=[dict(type='PackInputs')]",
            'val_dataloader.dataset.pipeline.0.type=...',
        ),
        # before: split at its commas into strings, a TypeError later
        ("model.head.loss={'type':'CrossEntropyLoss'}", 'model.head.loss.'),
        # before: an AssertionError from MMEngine's parser
        ('train_cfg.max_epochs=[1,2', 'are its brackets balanced?'),
        # before: the string '[12' as T_max, a TypeError in the scheduler
        ('param_scheduler.T_max=[12', 'are its brackets balanced?'),
    ],
)
def test_cfg_options_refuse_dicts_and_unbalanced_brackets(capsys, value, told):
    import argparse

    from mmsamkd.utils.cli import CfgOptionsAction

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    with pytest.raises(SystemExit):
        parser.parse_args(['--cfg-options', value])
    assert told in capsys.readouterr().err
    # a brace or a bracket inside a plain value is neither
    args = parser.parse_args(
        [
            '--cfg-options',
            'default_hooks.checkpoint.filename_tmpl=e_{}.pth',
            'load_from=runs/a(1.pth',
        ]
    )
    assert args.cfg_options == {
        'default_hooks.checkpoint.filename_tmpl': 'e_{}.pth',
        'load_from': 'runs/a(1.pth',
    }


def test_a_class_counting_loss_must_count_the_students_classes():
    """Before: ICAKD with num_classes 5 on 10-class data failed with an
    index_add RuntimeError inside the loss."""
    from mmengine.config import Config

    from mmsamkd.utils.config_check import check_loss_class_counts

    cfg = Config.fromfile(
        f'{REPO}/configs/icakd/icakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    )
    check_loss_class_counts(cfg.model)
    cfg.merge_from_dict(
        {'model.distiller.distill_losses.loss_structure.num_classes': 5}
    )
    with pytest.raises(ConfigError, match='loss_structure counts 5 classes'):
        check_loss_class_counts(cfg.model)


@pytest.mark.slow
def test_resume_of_another_networks_checkpoint_is_one_line(
    fmnist_teacher_ckpt, tmp_path
):
    """Before: 46 size-mismatch warnings, then a ValueError from the
    optimizer."""
    options = options_args({'model.teacher_ckpt': fmnist_teacher_ckpt})
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path / 'kd',
        '--resume',
        fmnist_teacher_ckpt,
        *options,
    )
    assert_one_line_error(
        result, f'--resume {fmnist_teacher_ckpt} does not fit', 'missing'
    )


def test_resume_needs_the_optimizer_and_schedule_state(tmp_path):
    """Before: under ``save_param_scheduler=False`` a run resumed at
    epoch 2 of 4 restarted its cosine (0.0459 for 0.0427 in its last
    epoch), rc 0, recorded as uninterrupted."""
    options = options_args(
        {
            'train_cfg.max_epochs': 2,
            'default_hooks.checkpoint.interval': 1,
            'default_hooks.checkpoint.max_keep_ckpts': -1,
            'default_hooks.checkpoint.save_param_scheduler': False,
        }
    )
    run = ('train.py', STUDENT_CFG, '--work-dir', tmp_path, *options)
    assert run_tool_in_process(*run).returncode == 0
    # interrupted after its first epoch
    for path in tmp_path.glob('*epoch_2.pth*'):
        path.unlink()
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert_one_line_error(
        run_tool_in_process(*run, '--resume'),
        f'--resume {tmp_path}/epoch_1.pth: the checkpoint lacks the '
        'learning-rate schedule, which default_hooks.checkpoint.'
        'save_param_scheduler=False left out',
    )


def test_what_a_resumed_checkpoint_must_hold():
    from types import SimpleNamespace

    from mmsamkd.engine.hooks.checkpoint_fit_hook import (
        training_state_problem as problem,
    )

    scheduled = SimpleNamespace(param_schedulers=[object()])
    whole = {'optimizer': {}, 'param_schedulers': []}
    assert problem(scheduled, whole, 'c.pth') is None
    one = problem(scheduled, {'param_schedulers': []}, 'c.pth')
    assert 'lacks the optimizer state (momentum), which' in one
    assert 'would start it over' in one
    both = problem(scheduled, {}, 'c.pth')
    assert (
        'lacks the optimizer state (momentum) and the learning-rate ' in both
    )
    assert 'start them over' in both
    # a best checkpoint: saved without them by MMEngine, whatever the
    # settings (before: blamed save_optimizer=False, said to retrain)
    best = problem(scheduled, {}, 'w/best_accuracy_top1_epoch_3.pth')
    assert best.startswith(
        '--resume w/best_accuracy_top1_epoch_3.pth: a best checkpoint, '
        'which MMEngine saves without the optimizer state (momentum) and '
        'the learning-rate schedule'
    )
    assert "Resume from its run's epoch_N.pth" in best
    assert 'load_from=w/best_accuracy_top1_epoch_3.pth' in best
    assert 'save_optimizer' not in best
    assert 'would start them over' in best
    best_of_one = problem(scheduled, {'optimizer': {}}, 'w/best_a_epoch_3.pth')
    assert 'without the learning-rate schedule, so' in best_of_one
    assert 'would start it over' in best_of_one
    # a run of no schedulers has no schedule to lose
    assert (
        problem(SimpleNamespace(param_schedulers=None), {'optimizer': {}}, 'c')
        is None
    )


def test_resuming_a_checkpoint_of_another_run_needs_its_settings(
    tmp_path, fmnist_teacher_ckpt
):
    """Before: ``--resume OTHER/epoch_1.pth`` with ``max_epochs=2`` in a new
    dir trained a second epoch on a run whose first was scheduled as its
    last, and recorded a clean 2-epoch run, rc 0."""
    import shutil

    from conftest import TEACHER_CFG, tiny_cfg
    from mmsamkd.utils.run_results import run_record, write_record

    source = tmp_path / 'source'
    source.mkdir()
    for suffix in ('', '.sha256'):
        shutil.copy(
            fmnist_teacher_ckpt + suffix, f'{source}/epoch_1.pth{suffix}'
        )
    write_record(str(source), run_record(tiny_cfg(TEACHER_CFG, source)))
    args = [TEACHER_CFG, '--work-dir', tmp_path / 'new']
    args += ['--resume', source / 'epoch_1.pth']
    result = run_tool_in_process(
        'train.py', *args, *options_args({'train_cfg.max_epochs': 2})
    )
    assert_one_line_error(
        result,
        'epoch_1.pth was saved by a run of other settings (schedule 1 epochs',
        f'load_from={source}/epoch_1.pth (no --resume)',
    )
    assert not list((tmp_path / 'new').glob('*.pth'))
    # the same settings go on anywhere (a run copied elsewhere)
    result = run_tool_in_process('train.py', *args, *options_args({}))
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_work_dir_that_is_a_file_is_refused(tmp_path):
    """Before: a ``FileExistsError`` traceback (``NotADirectoryError`` for
    a folder below the file)."""
    taken = tmp_path / 'notes.txt'
    taken.write_text('a file, not a run')
    for work_dir in (taken, taken / 'run'):
        result = run_tool_in_process(
            'train.py', STUDENT_CFG, '--work-dir', work_dir
        )
        assert_one_line_error(
            result, f"--work-dir '{work_dir}': {taken} is a file, not a folder"
        )
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save({'meta': {}, 'state_dict': {}}, checkpoint)
    result = run_tool_in_process(
        'test.py', STUDENT_CFG, checkpoint, '--work-dir', taken
    )
    assert_one_line_error(result, f'{taken} is a file, not a folder')
    result = run_tool_in_process(
        'compare.py', STUDENT_CFG, '--work-dir-root', taken / 'root'
    )
    assert_one_line_error(result, f"--work-dir-root '{taken / 'root'}'")
    result = run_tool_in_process(
        'compare.py',
        STUDENT_CFG,
        '--work-dir-root',
        tmp_path / 'root',
        '--out-dir',
        taken,
    )
    assert_one_line_error(result, f"--out-dir '{taken}': {taken} is a file")
    assert not (tmp_path / 'root' / 'resnet8-quarter_1xb64_fmnist').exists()
    assert taken.read_text() == 'a file, not a run'


@pytest.mark.parametrize('jobs', ['0', '-2', 'two'])
def test_compare_runs_at_least_one_job(jobs, tmp_path):
    """Before, ``--jobs 0`` trained nothing, then stopped on a run that
    "holds no records"."""
    result = run_tool_in_process(
        'compare.py', STUDENT_CFG, '--work-dir-root', tmp_path, '--jobs', jobs
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"compare.py: error: argument --jobs: '{jobs}' is not a whole "
        'number from 1'
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize('nproc', [['0'], ['two'], ['1.5'], []])
def test_dist_train_needs_a_process_count(nproc, tmp_path):
    """Before: torchrun's ``AssertionError`` or ``ValueError`` traceback,
    or bash's ``$2: unbound variable``."""
    result = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), STUDENT_CFG]
        + nproc,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHON=sys.executable),
    )
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith('error: usage: ') and line.endswith(
        f"(a whole number from 1), got '{''.join(nproc)}'"
    )


def test_dist_train_names_a_port_in_use(tmp_path):
    """Before: torchrun's 45-line ``EADDRINUSE`` traceback, rc 1, for a
    second run on a PORT the first holds."""
    with socket.socket() as first_run:
        first_run.bind(('', 0))
        first_run.listen()
        port = first_run.getsockname()[1]
        result = subprocess.run(
            ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), STUDENT_CFG]
            + ['2'],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHON=sys.executable, PORT=str(port)),
        )
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f'error: port {port} cannot be listened on here: another '
        'distributed run (or program) holds it. Set PORT to a free port'
    )


def test_export_makes_the_folder_of_its_out(tmp_path):
    # before: torch.save's "Parent directory ... does not exist" traceback
    from mmsamkd.student_export import export

    kd = tmp_path / 'kd.pth'
    torch.save({'state_dict': {'architecture.w': torch.ones(2)}}, kd)
    out, _ = export(str(kd), str(tmp_path / 'new' / 'dir' / 's.pth'))
    exported = torch.load(out, weights_only=False)['state_dict']
    assert list(exported) == ['w']


@pytest.mark.parametrize(
    'config, options, told',
    [
        (
            STUDENT_CFG,
            {'model.backbone.arch': 'resnet9'},
            "unknown CifarResNet arch 'resnet9'",
        ),
        (
            'configs/samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
            {
                'model.teacher_ckpt': None,
                'random_teacher': True,
                'model.adversary.gan_type': 'wgan',
            },
            "gan_type must be one of ('bce', 'lsgan', 'hinge'), got 'wgan'",
        ),
    ],
)
def test_a_part_that_refuses_its_arguments_is_one_line(
    config, options, told, tmp_path
):
    """Before: the parts' own checks raised ValueError, which the tools
    printed as a traceback."""
    result = run_tool_in_process(
        'train.py',
        osp.join(REPO, config),
        '--work-dir',
        tmp_path,
        *options_args(options),
    )
    assert_one_line_error(result, told)


@pytest.mark.parametrize(
    'script, arguments, told',
    [
        # before: MMEngine's OSError traceback
        (
            'test.py',
            ('{ckpt}', STUDENT_CFG),
            "epoch_1.pth' is a checkpoint where a config is expected: "
            'tools/test.py CONFIG CHECKPOINT',
        ),
        ('compare.py', ('{ckpt}',), 'is a checkpoint where a config is'),
        # before: FileNotFoundError traceback
        ('train.py', ('{tmp}/nope.py',), "nope.py' does not exist"),
        # before: "does not exist"
        (
            'test.py',
            (STUDENT_CFG, '{tmp}'),
            'is a folder, not a checkpoint file: name a checkpoint in it',
        ),
        # before: the unpickler's traceback
        (
            'export_student.py',
            (STUDENT_CFG,),
            'is a config where a checkpoint is expected: '
            'tools/export_student.py CHECKPOINT',
        ),
    ],
)
def test_arguments_in_the_wrong_place_are_one_line(
    script, arguments, told, tmp_path
):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'not read')
    arguments = [a.format(ckpt=ckpt, tmp=tmp_path) for a in arguments]
    result = run_tool_in_process(script, *arguments)
    assert_one_line_error(result, told)


def test_a_package_the_config_asks_for_is_one_line(tmp_path):
    """Before: the ImportError traceback of a ``custom_imports`` module (or
    of ``TensorboardVisBackend`` without tensorboard), MMEngine's message
    listing all of sys.path."""
    from mmsamkd.utils.cli import build_error

    config = tmp_path / 'with_imports.py'
    config.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\ncustom_imports = dict(imports='
        "['no_such_project.hooks'], allow_failed_imports=False)\n"
    )
    for arguments in (
        ('train.py', config, '--work-dir', tmp_path),
        ('compare.py', config, '--work-dir-root', tmp_path / 'c'),
    ):
        result = run_tool_in_process(*arguments)
        assert_one_line_error(
            result,
            "error: No module named 'no_such_project': a part the config "
            'asks for (custom_imports, visualizer.vis_backends, a type from '
            'another package) needs it. Install it, or drop that part.',
        )
    # the import that failed, not the advice raised over it
    try:
        try:
            raise ModuleNotFoundError("No module named 'tensorboard'")
        except ImportError as missing:
            raise ImportError('Please run "pip install tensorboard"') from (
                missing
            )
    except ImportError as error:
        told = str(build_error(error, None))
    assert told.startswith("No module named 'tensorboard': a part")


@pytest.mark.parametrize(
    'files, told',
    [
        # before: a traceback naming the file "<unknown>"
        (
            {'c.py': f'_base_ = [{STUDENT_CFG!r}]\nx = dict(a=\n'},
            "config {tmp}/c.py, line 2: '(' was never closed (Python "
            'syntax). Fix that line.',
        ),
        # ... in a base: the base is named, not the config given
        (
            {
                'c.py': "_base_ = ['./b.py']\n",
                'b.py': f'_base_ = [{STUDENT_CFG!r}]\n\nx = [1,\n',
            },
            "config {tmp}/b.py, line 3: '[' was never closed",
        ),
        # before: MMEngine's FileNotFoundError traceback
        (
            {
                'c.py': "_base_ = ['./b.py']\n",
                'b.py': "_base_ = ['../vanilla/student.py']\n",
            },
            "config {tmp}/b.py reads '{up}/vanilla/student.py' (as a "
            '_base_), which does not exist: a relative _base_ counts from',
        ),
        (
            {'c.py': f'_base_ = [{STUDENT_CFG!r}]\nx = 1\ny = depth\n'},
            "config {tmp}/c.py, line 3: NameError: name 'depth' is not "
            'defined. Fix that line.',
        ),
    ],
)
def test_an_error_in_a_config_file_names_the_file_and_line(
    files, told, tmp_path
):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_tool_in_process(
        'train.py', tmp_path / 'c.py', '--work-dir', tmp_path / 'run'
    )
    told = told.format(tmp=tmp_path, up=tmp_path.parent)
    assert_one_line_error(result, told)


def test_an_error_from_elsewhere_is_no_config_error():
    from mmsamkd.utils.cli import config_file_error

    try:
        raise RuntimeError('not a config line')
    except RuntimeError as error:  # raised here, in a test module
        assert config_file_error('c.py', error) is None


@pytest.mark.parametrize(
    'arguments, told',
    [
        # before: the unpickler's traceback
        (
            ('test.py', STUDENT_CFG, '{sum}'),
            "checkpoint '{sum}' is the checksum written beside the "
            "checkpoint '{ckpt}', not a checkpoint: name that file.",
        ),
        (('export_student.py', '{sum}'), "checkpoint '{sum}' is the checksum"),
        (
            ('train.py', STUDENT_CFG, '--resume', '{sum}'),
            "--resume '{sum}' is the checksum",
        ),
        (
            ('train.py', KD_CFG, '--cfg-options', 'model.teacher_ckpt={sum}'),
            "teacher_ckpt '{sum}' is the checksum",
        ),
        # MMEngine's pointer to the latest checkpoint, a log
        (
            ('test.py', STUDENT_CFG, '{last}'),
            "checkpoint '{last}' is the file in which MMEngine names the "
            "run's latest checkpoint ('{ckpt}'), not a checkpoint",
        ),
        (
            ('train.py', STUDENT_CFG, '--cfg-options', 'load_from={last}'),
            "load_from '{last}' is the file in which MMEngine names",
        ),
        (
            ('train.py', KD_CFG, '--cfg-options', 'model.teacher_ckpt={log}'),
            "teacher_ckpt '{log}' is not a checkpoint: torch.save did not "
            'write it.',
        ),
    ],
)
def test_a_file_beside_a_checkpoint_names_the_checkpoint(
    arguments, told, tmp_path
):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'not read')
    files = dict(
        sum=tmp_path / 'epoch_1.pth.sha256',
        last=tmp_path / 'last_checkpoint',
        log=tmp_path / 'run.log',
    )
    files['sum'].write_text('0' * 64 + '  epoch_1.pth\n')
    files['last'].write_text(str(ckpt))
    files['log'].write_text('12/07 09:00:00 - mmengine - INFO - ...\n')
    script, *arguments = [a.format(**files) for a in arguments]
    if script == 'train.py':
        arguments[1:1] = ['--work-dir', str(tmp_path / 'run')]
    result = run_tool_in_process(script, *arguments)
    assert_one_line_error(result, told.format(ckpt=ckpt, **files))


def test_what_torch_saves_is_taken_for_a_checkpoint(tmp_path):
    from mmsamkd.utils.config_check import not_a_checkpoint

    torch.save({'state_dict': {}}, tmp_path / 'zip.pth')
    torch.save(
        {'state_dict': {}},
        tmp_path / 'legacy.pth',
        _use_new_zipfile_serialization=False,
    )
    (tmp_path / 'empty.pth').write_bytes(b'')  # left to the loader's line
    for name in ('zip.pth', 'legacy.pth', 'empty.pth'):
        assert not_a_checkpoint('checkpoint', str(tmp_path / name)) is None
    (tmp_path / 'text.pth').write_text('weights')
    assert 'torch.save did not write it' in not_a_checkpoint(
        'checkpoint', str(tmp_path / 'text.pth')
    )


def test_a_checksum_given_as_a_snapshot_names_the_checkpoint(tmp_path):
    from mmengine.config import Config

    from mmsamkd.utils.config_check import check_teacher_checkpoint

    torch.save({}, tmp_path / 'epoch_1.pth')
    checksum = tmp_path / 'epoch_1.pth.sha256'
    checksum.write_text('not read')
    model_cfg = Config.fromfile(KD_CFG).model
    model_cfg.teacher_ckpt = str(tmp_path / 'epoch_1.pth')
    model_cfg.teacher_snapshots = [str(checksum)]
    with pytest.raises(ConfigError, match="^teacher snapshot '.*sha256' is"):
        check_teacher_checkpoint(model_cfg, random_teacher=False)
    checksum.unlink()  # a checksum beside no checkpoint: just missing
    model_cfg.teacher_snapshots = [str(tmp_path / 'x.pth.sha256')]
    with pytest.raises(ConfigError, match='does not exist'):
        check_teacher_checkpoint(model_cfg, random_teacher=False)


def test_a_checkpoint_its_run_did_not_keep_names_what_it_holds(tmp_path):
    """A teacher run that kept one checkpoint (``max_keep_ckpts=1``, or
    a shorter schedule): before, "does not exist. Train the teacher
    first" for a teacher that had trained."""
    from mmengine.config import Config

    from mmsamkd.utils.config_check import (
        check_load_from,
        check_teacher_checkpoint,
    )

    run = tmp_path / 'teacher'
    run.mkdir()
    for name in ('epoch_12.pth', 'epoch_2.pth', 'best_acc_epoch_12.pth'):
        torch.save({}, run / name)
    (run / 'epoch_2.pth.sha256').write_text('not a checkpoint')
    held = (
        f'{run} holds epoch_2.pth, epoch_12.pth, best_acc_epoch_12.pth but '
        'not epoch_4.pth: the run there did not keep it'
    )
    model_cfg = Config.fromfile(KD_CFG).model
    model_cfg.teacher_ckpt = str(run / 'epoch_4.pth')
    with pytest.raises(ConfigError, match=re.escape(held)):
        check_teacher_checkpoint(model_cfg, random_teacher=False)
    model_cfg.teacher_ckpt = str(run / 'epoch_12.pth')
    model_cfg.teacher_snapshots = [str(run / 'epoch_4.pth')]
    with pytest.raises(ConfigError, match=re.escape(held)):
        check_teacher_checkpoint(model_cfg, random_teacher=False)
    cfg = Config(dict(load_from=str(run / 'epoch_4.pth')))
    with pytest.raises(ConfigError, match=re.escape(held)):
        check_load_from(cfg)
    # four checkpoints named in full; of more, the first two and the last
    for added, held in (
        ('epoch_6.pth', 'epoch_2.pth, epoch_6.pth, epoch_12.pth, best'),
        ('epoch_8.pth', 'epoch_2.pth, epoch_6.pth, ..., best'),
    ):
        torch.save({}, run / added)
        told = f'{run} holds {held}_acc_epoch_12.pth but not epoch_4.pth'
        with pytest.raises(ConfigError, match=re.escape(told)):
            check_load_from(cfg)
    # a folder of no checkpoint: the run is still to train
    cfg = Config(dict(load_from=str(tmp_path / 'epoch_4.pth')))
    with pytest.raises(ConfigError, match='Train the run it names first'):
        check_load_from(cfg)


def test_a_part_set_to_none_by_cfg_options_is_named(tmp_path):
    """Before: ``model.head.loss=None`` (as MMEngine removes a default
    hook) stopped in a ``TypeError`` traceback from the registry, a SAMKD
    pair set to None in an ``AttributeError`` one."""
    from mmsamkd.utils.cli import none_override_problem

    for tool, args in (
        ('train.py', (STUDENT_CFG, '--work-dir', tmp_path)),
        ('test.py', (STUDENT_CFG, tmp_path / 'none.pth')),
    ):
        if tool == 'test.py':  # any checkpoint of the config
            torch.save({'state_dict': {}}, tmp_path / 'none.pth')
        assert_one_line_error(
            run_tool_in_process(
                tool, *args, *options_args({'model.head.loss': None})
            ),
            'model.head.loss=None (--cfg-options): the build stopped on a '
            'None (TypeError: cfg should be a dict',
            '_delete_=True',
        )
    pair = {'model.adversary.pairs.feat0': None, 'seed': 1}
    attribute = AttributeError("'NoneType' object has no attribute 'get'")
    assert 'model.adversary.pairs.feat0=None (--cfg-options)' in str(
        none_override_problem(attribute, pair)
    )
    # no None set, or an error that is not about one: not this problem
    assert none_override_problem(attribute, {'seed': 1}) is None
    assert none_override_problem(AttributeError('no x'), pair) is None
    scheduler = AssertionError('should be a dict or a list, but got None')
    assert none_override_problem(scheduler, pair) is not None
    optimizer = ValueError(
        'must be an optimizer object, but got optimizer=None'
    )
    assert none_override_problem(optimizer, pair) is not None
