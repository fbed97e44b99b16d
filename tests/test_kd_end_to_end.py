"""Real Runner runs of the Fashion-MNIST KD configs (tiny, CPU)."""

import ast
import csv
import json
import os
import os.path as osp
import re

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    STUDENT_CFG,
    clone_state,
    options_args,
    port_held,
    run_dist_train,
    run_tool,
    run_tool_in_process,
    tiny_cfg,
)
from mmsamkd.utils.run_results import read_record

pytestmark = pytest.mark.slow


def kd_cfg(work_dir, teacher_ckpt, **options):
    return tiny_cfg(
        KD_CFG, work_dir, **{'model.teacher_ckpt': teacher_ckpt}, **options
    )


def test_kd_loads_teacher_and_trains_only_student(
    fmnist_teacher_ckpt, tmp_path
):
    runner = Runner.from_cfg(kd_cfg(tmp_path, fmnist_teacher_ckpt))
    algorithm = runner.model
    saved = torch.load(fmnist_teacher_ckpt, weights_only=False)['state_dict']
    teacher_before = clone_state(algorithm.teacher)
    for key, value in teacher_before.items():
        assert torch.equal(value, saved[key]), key
    student_before = clone_state(algorithm.architecture)

    runner.train()

    for key, value in clone_state(algorithm.teacher).items():
        assert torch.equal(value, teacher_before[key]), key
    changed = [
        k
        for k, v in clone_state(algorithm.architecture).items()
        if v.is_floating_point() and not torch.equal(v, student_before[k])
    ]
    assert any('backbone' in k for k in changed)
    scalars = open(
        next(
            osp.join(r, f)
            for r, _, fs in os.walk(tmp_path)
            for f in fs
            if f == 'scalars.json'
        )
    ).read()
    assert 'distill.loss_kd' in scalars
    assert 'teacher.accuracy/top1' in scalars


class InterruptAfterEpoch(Hook):
    """Stop a run after ``epoch`` epochs, as a crash or a kill would."""

    priority = 'LOWEST'  # after CheckpointHook has saved the epoch

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        # the loop counts this epoch only after its after_train_epoch
        if runner.epoch + 1 >= self.epoch:
            runner.train_loop.stop_training = True


def test_resume_reproduces_uninterrupted_run(fmnist_teacher_ckpt, tmp_path):
    # Random crops/flips draw from the global numpy RNG, which checkpoints do
    # not hold; a fixed pipeline isolates what resume must restore: model,
    # optimizer, scheduler, sampler and epoch.
    options = {
        'train_cfg.max_epochs': 2,
        'train_dataloader.dataset.pipeline': [dict(type='PackInputs')],
    }
    straight = Runner.from_cfg(
        kd_cfg(tmp_path / 'a', fmnist_teacher_ckpt, **options)
    )
    straight.train()

    interrupted = Runner.from_cfg(
        kd_cfg(tmp_path / 'b', fmnist_teacher_ckpt, **options)
    )
    interrupted.register_hook(InterruptAfterEpoch(1))
    interrupted.train()
    assert interrupted.epoch == 1
    resumed_cfg = kd_cfg(tmp_path / 'b', fmnist_teacher_ckpt, **options)
    resumed_cfg.resume = True
    resumed = Runner.from_cfg(resumed_cfg)
    resumed.train()

    assert resumed.epoch == straight.epoch == 2
    expected = clone_state(straight.model.architecture)
    for key, value in clone_state(resumed.model.architecture).items():
        assert torch.equal(value, expected[key]), key


def last_metrics(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])


def assert_quiet_console(result):
    """MMEngine's dumps and deprecation notices only in the log file,
    which the console names."""
    console = result.stdout + result.stderr
    for dump in (
        'System environment:',
        'Config:',
        'Hooks will be executed',
        '"FileClient" will be deprecated',
        '"HardDiskBackend" is the alias',
    ):
        assert dump not in console
    log_file = re.search(r'environment, config and hooks: in (\S+)', console)
    log = open(log_file.group(1)).read()
    assert 'System environment:' in log and 'Config:' in log
    assert 'Hooks will be executed' in log


def test_export_student_round_trip(fmnist_teacher_ckpt, tmp_path):
    options = options_args({'model.teacher_ckpt': fmnist_teacher_ckpt})
    result = run_tool(
        'train.py', KD_CFG, '--work-dir', tmp_path / 'kd', *options
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_quiet_console(result)
    assert 'Epoch(train)' in result.stdout  # MMEngine's progress stays
    ckpt = tmp_path / 'kd' / 'epoch_1.pth'
    result = run_tool(
        'test.py', KD_CFG, ckpt, '--work-dir', tmp_path / 't1', *options
    )
    assert_quiet_console(result)
    in_algorithm = last_metrics(result)

    out = tmp_path / 'student.pth'
    result = run_tool_in_process('export_student.py', ckpt, '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    exported = torch.load(out, weights_only=False)
    assert not any(
        k.startswith(('teacher', 'distiller', 'architecture'))
        for k in exported['state_dict']
    )

    # Same parameters as the undistilled student classifier.
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    init_default_scope('mmpretrain')
    plain = MODELS.build(Config.fromfile(STUDENT_CFG).model)
    assert set(plain.state_dict()) == set(exported['state_dict'])

    standalone = last_metrics(
        run_tool_in_process(
            'test.py',
            tmp_path / 'student.py',
            out,
            '--work-dir',
            tmp_path / 't2',
        )
    )
    assert standalone['accuracy/top1'] == in_algorithm['accuracy/top1']


def test_export_rejects_plain_classifier_checkpoint(tmp_path):
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options_args({})
    )
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_tool_in_process('export_student.py', tmp_path / 'epoch_1.pth')
    assert result.returncode == 2
    assert 'not from a distillation algorithm' in result.stderr


def test_dist_train_two_cpu_processes(fmnist_teacher_ckpt, tmp_path):
    # torchrun's usual port held, as by a first run on this machine
    # (before: a second run ended in torchrun's EADDRINUSE traceback):
    # without PORT, the script takes a free one
    with port_held(29500):  # torchrun's port, as a first run holds it
        result = run_dist_train(
            KD_CFG,
            2,
            tmp_path,
            {'model.teacher_ckpt': fmnist_teacher_ckpt},
            script_port=True,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'epoch_1.pth').is_file()
    log = next(
        osp.join(r, f)
        for r, _, fs in os.walk(tmp_path)
        for f in fs
        if f.endswith('.log')
    )
    text = open(log).read()
    assert 'Distributed training: True' in text
    # 256 images over 2 ranks of batch 64: 2 iterations per rank and epoch
    assert 'Epoch(train) [1][2/2]' in text
    # steps of 2 x 64 images: resuming on one process would halve them
    assert read_record(str(tmp_path))['batch'] == '2xb64'
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        '--resume',
        *options_args({'model.teacher_ckpt': fmnist_teacher_ckpt}),
    )
    assert_one_line_error(result, 'batch 2xb64 vs 1xb64')


def test_compare_trains_and_tabulates(tmp_path):
    root = tmp_path / 'runs'
    # two validations, for a 'best' that is not the last
    two = options_args(
        {'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 1}
    )
    result = run_tool_in_process(
        'compare.py', STUDENT_CFG, '--work-dir-root', root, *two
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = root / 'compare'
    table = (out / 'results.md').read_text()
    assert 'resnet8-quarter_1xb64_fmnist' in table
    assert (out / 'accuracy_curves.png').stat().st_size > 1000
    with open(out / 'results.csv', newline='') as f:
        (row,) = csv.DictReader(f)
    # the cost columns, from the run's run_cost.json and its student
    # a tiny run trains in under a second: H:MM:SS may read 0:00:00
    assert re.fullmatch(r'\d+:\d\d:\d\d', row['train time'])
    assert float(row['s/iter']) > 0
    assert float(row['peak RSS MiB']) > 100
    assert row['params (M)'] == '0.005' and row['MFLOPs'] == '0.6'
    report = (out / 'report.html').read_text()
    for column in row:  # the report holds every column of the table
        assert f'<th>{column}</th>' in report, column
    # curves, accuracy against cost, the reliability diagram
    assert report.count('<img') == 3
    assert 'alt="reliability.png"' in report
    # a second call collects the finished run without training
    again = run_tool_in_process(
        'compare.py',
        STUDENT_CFG,
        '--work-dir-root',
        root,
        '--collect-only',
        *two,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert '== training' not in again.stdout
    assert (out / 'results.md').read_text() == table
    # by a calibration error the best validation is the lowest: before,
    # the table gave the highest
    by_ece = run_tool_in_process(
        'compare.py',
        STUDENT_CFG,
        '--work-dir-root',
        root,
        '--collect-only',
        '--metric',
        'transfer/ece',
        *two,
    )
    assert by_ece.returncode == 0, by_ece.stderr[-3000:]
    (scalars,) = (root / 'resnet8-quarter_1xb64_fmnist').glob(
        '*/vis_data/scalars.json'
    )
    ece = [
        json.loads(line)['transfer/ece']
        for line in scalars.read_text().splitlines()
        if 'transfer/ece' in line
    ]
    with open(out / 'results.csv', newline='') as f:
        (row,) = csv.DictReader(f)
    assert len(ece) == 2 and ece[0] != ece[1]
    assert float(row['best transfer/ece (lowest)']) == round(min(ece), 2)
    assert float(row['last transfer/ece']) == round(ece[-1], 2)
