"""compare.py --seeds: students once per seed, teachers once, paired gaps."""

import csv
import json

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
from mmsamkd.comparison.report import seed_summary, write_table
from mmsamkd.comparison.runs import seeded_runs
from mmsamkd.utils.process_ownership import LOCK_NAME
from mmsamkd.utils.run_results import training_code, write_record


def test_students_run_per_seed_and_teachers_once(tmp_path):
    ckpt = str(tmp_path / 'teacher' / 'epoch_1.pth')
    loaded = [
        ('t.py', str(tmp_path / 'teacher'), Config(dict(model=dict())), {}),
        (
            'kd.py',
            str(tmp_path / 'kd'),
            Config(dict(model=dict(teacher_ckpt=ckpt), randomness={})),
            {'model.teacher_ckpt': ckpt},
        ),
    ]
    runs = list(seeded_runs(loaded, str(tmp_path), [0, 3]))
    assert [(r[0], r[1]) for r in runs] == [
        ('t.py', str(tmp_path / 'teacher')),
        ('kd.py', str(tmp_path / 'seed0' / 'kd')),
        ('kd.py', str(tmp_path / 'seed3' / 'kd')),
    ]
    assert [r[2].randomness.seed for r in runs[1:]] == [0, 3]
    assert runs[2][3] == {'model.teacher_ckpt': ckpt, 'randomness.seed': 3}
    assert 'seed' not in loaded[1][2].randomness  # copied, not changed
    # without --seeds, every run as listed
    assert list(seeded_runs(loaded, str(tmp_path), None)) == loaded


def test_seed_summary_pairs_the_seeds():
    rows = [dict(config='teacher', seed=0, last=90.0, train_seconds=300)]
    for seed, a, b in [(0, 80.0, 81.0), (1, 82.0, 82.5), (2, 81.0, 81.0)]:
        rows.append(dict(config='hsakd', seed=seed, last=a, train_seconds=120))
        # a run trained before run_cost.json has no time
        spent = None if seed == 2 else 3600 + 61 * seed
        rows.append(
            dict(config='samkd', seed=seed, last=b, train_seconds=spent)
        )
    # seeds 2 and 5: one seed shared with hsakd is no paired gap
    rows += [
        dict(config='cskd', seed=seed, last=79.0, train_seconds=None)
        for seed in (2, 5)
    ]
    lines = seed_summary(rows, 'top1').splitlines()
    assert lines[0] == (
        '| config | seeds | last top1 mean ± std | last - hsakd, same seeds '
        '| train time, mean |'
    )
    # hsakd: 80, 82, 81; samkd: 81, 82.5, 81, gaps 1, 0.5, 0
    assert lines[2:] == [
        '| hsakd | 0, 1, 2 | 81.00 ± 1.00 |  | 0:02:00 |',
        # (3600 + 3661) / 2 s
        '| samkd | 0, 1, 2 | 81.50 ± 0.87 | +0.50 ± 0.50 (3 seeds) '
        '| 1:00:30 |',
        '| cskd | 2, 5 | 79.00 ± 0.00 |  |  |',
    ]
    assert seed_summary(rows[:1], 'top1') == ''


def test_a_row_is_the_runs_last_validation(tmp_path):
    """The table's last, best, teacher and transfer figures, and the
    reliability diagram, all belong to the last validation logged."""
    from mmsamkd.comparison.report import summarize

    history = {
        3: {'top1': 50.0},
        6: {'top1': 60.0, 'teacher.top1': 88.0},
        9: {'top1': 55.0, 'teacher.top1': 90.0, 'transfer/ece': 4.5},
    }
    write_record(
        str(tmp_path),
        dict(dataset='fmnist', schedule='9 epochs', seed=1, batch='2xb64'),
    )
    diagram = dict(epoch=9, iter=2700, bins=[])
    (tmp_path / 'reliability_val.json').write_text(json.dumps(diagram))
    cfg = Config(
        dict(
            val_dataloader=dict(dataset=dict(type='X', split='test')),
            train_cfg=dict(max_epochs=9),
        )
    )
    row = summarize('configs/kd/kd_x.py', str(tmp_path), history, 'top1', cfg)
    assert (row['config'], row['method']) == ('kd_x', 'kd')
    assert row['evaluation'] == 'X test'
    assert (row['dataset'], row['schedule'], row['seed']) == (
        'fmnist',
        '9 epochs, 2xb64',
        1,
    )
    assert (row['last'], row['best'], row['teacher']) == (55.0, 60.0, 90.0)
    # a metric of which lower is better (a calibration error): before,
    # 'best' was its highest value
    lowest = summarize('kd_x.py', str(tmp_path), history, 'top1', cfg, True)
    assert (lowest['last'], lowest['best']) == (55.0, 50.0)
    header = write_table([lowest], tmp_path / 'out', 'top1').splitlines()[0]
    assert '| best top1 (lowest) | last top1 |' in header
    header = write_table([row], tmp_path / 'out', 'top1').splitlines()[0]
    assert '| best top1 | last top1 |' in header
    assert row['steps'] == 9 and row['curve'] == ([3, 6, 9], [50, 60, 55])
    assert row['step_unit'] == 'epoch'
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=9)
    by_iteration = summarize('kd_x.py', str(tmp_path), history, 'top1', cfg)
    assert by_iteration['step_unit'] == 'iteration'
    assert row['transfer']['ECE %'] == 4.5
    assert row['transfer']['agree %'] is None
    assert row['reliability'] == diagram
    # a diagram of another pass than the last logged one is left out
    for stale in (dict(epoch=6, iter=1800), dict(epoch=12, iter=3600)):
        (tmp_path / 'reliability_val.json').write_text(json.dumps(stale))
        row = summarize('kd_x.py', str(tmp_path), history, 'top1', {})
        assert row['reliability'] is None
    # by iteration (an IterBasedTrainLoop's steps)
    (tmp_path / 'reliability_val.json').write_text(
        json.dumps(dict(epoch=1, iter=9))
    )
    row = summarize('kd_x.py', str(tmp_path), history, 'top1', {})
    assert row['reliability'] == dict(epoch=1, iter=9)
    # a run without records: unknown, not another run's
    row = summarize('kd_x.py', str(tmp_path / 'none'), history, 'top1', {})
    assert (row['dataset'], row['schedule'], row['seed']) == ('?', '?', '?')


def test_a_row_names_the_stages_its_run_never_played(tmp_path):
    from mmsamkd.comparison.report import summarize

    write_record(str(tmp_path), dict(schedule='3 epochs', batch='1xb64'))
    stages = [dict(begin=0), dict(begin=2), dict(begin=4), dict(begin=6)]
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=3),
            custom_hooks=[
                dict(type='mmrazor.AdversarialStageHook', stages=stages)
            ],
        )
    )
    row = summarize(
        'samkd_x.py', str(tmp_path), {3: {'top1': 1.0}}, 'top1', cfg
    )
    assert row['schedule'] == (
        '3 epochs, 1xb64, adversarial stages 3, 4 of 4 not played'
    )
    cfg.train_cfg.max_epochs = 7
    row = summarize(
        'samkd_x.py', str(tmp_path), {7: {'top1': 1.0}}, 'top1', cfg
    )
    assert row['schedule'] == '3 epochs, 1xb64'


@pytest.mark.slow
def test_seeds_train_the_student_per_seed_from_one_teacher(tmp_path):
    root = tmp_path / 'runs'
    tiny = {
        'train_dataloader.dataset.indices': 48,
        'train_dataloader.batch_size': 16,
        # the students follow the teacher's final epoch_2.pth (KD's config
        # names epoch_12.pth)
        'train_cfg.max_epochs': 2,
    }
    result = run_tool_in_process(
        'compare.py',
        '--work-dir-root',
        root,
        TEACHER_CFG,
        KD_CFG,
        '--seeds',
        0,
        1,
        *options_args(tiny),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    kd = 'kd_resnet14_resnet8-quarter_1xb64_fmnist'
    teacher = root / 'resnet14_1xb64_fmnist' / 'epoch_2.pth'
    assert teacher.is_file()
    assert not (root / 'seed0' / teacher.parent.name).exists()
    for seed in (0, 1):
        work_dir = root / f'seed{seed}' / kd
        record = json.loads((work_dir / 'run_config.json').read_text())
        assert record['seed'] == seed
        assert str(teacher) in next(work_dir.glob('*/*.log')).read_text()
    with open(root / 'compare' / 'results.csv', newline='') as f:
        lasts = {
            int(row['seed']): float(row['last accuracy/top1'])
            for row in csv.DictReader(f)
            if row['config'] == kd
        }
    assert sorted(lasts) == [0, 1]
    mean = (lasts[0] + lasts[1]) / 2
    std = abs(lasts[0] - lasts[1]) / 2**0.5
    # the CSV's figures are rounded to 2 decimals, the summary's are not:
    # they agree to the last digit shown, give or take one
    (line,) = [
        line
        for line in result.stdout.splitlines()
        if line.startswith(f'| {kd} | 0, 1 | ')
    ]
    shown_mean, shown_std = line.split(' | ')[2].split(' ± ')
    assert float(shown_mean) == pytest.approx(mean, abs=0.011)
    assert float(shown_std) == pytest.approx(std, abs=0.011)
    assert line.split(' | ')[3] == ''  # no paired gap without a reference


@pytest.mark.parametrize(
    'extra', [['--seeds', '0', '0'], [TEACHER_CFG, '--seeds', '0']]
)
def test_a_run_listed_twice_is_refused(tmp_path, extra):
    result = run_tool_in_process(
        'compare.py', '--work-dir-root', tmp_path, TEACHER_CFG, *extra
    )
    assert_one_line_error(result, 'would hold two runs', 'listed twice')
    # refused before any training: no run dir beside the root's lock
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]


def test_configs_may_follow_the_seeds(tmp_path):
    """``--seeds 0 1 A.py B.py``: before, argparse gave the configs to
    ``--seeds`` and stopped on "invalid int value: 'A.py'"."""
    result = run_tool_in_process(
        'compare.py',
        '--work-dir-root',
        tmp_path,
        '--seeds',
        '3',
        '4',
        STUDENT_CFG,
        '--collect-only',
    )
    assert_one_line_error(
        result,
        f'resnet8-quarter_1xb64_fmnist.py has no finished run in '
        f'{tmp_path}/seed3/resnet8-quarter_1xb64_fmnist',
    )
    # configs on both sides of the seeds are all read
    result = run_tool_in_process(
        'compare.py', STUDENT_CFG, '--seeds', '0', STUDENT_CFG
    )
    assert_one_line_error(result, 'would hold two runs', 'listed twice')
    result = run_tool_in_process(
        'compare.py', '--seeds', '3', 'A.py', '--seeds', 'B.py'
    )
    assert result.returncode == 2
    assert "argument --seeds: 'B.py' is not a whole number" in result.stderr


def test_configs_evaluated_on_other_data_are_refused(tmp_path):
    """Before, a config scoring the validation split shared the table with
    configs scoring the test split, rc 0, nothing to tell them apart."""
    child = tmp_path / 'student_on_val.py'
    child.write_text(
        f'_base_ = [{STUDENT_CFG!r}]\n'
        "val_dataloader = dict(dataset=dict(split='val'))\n"
    )
    root = tmp_path / 'runs'
    result = run_tool_in_process(
        'compare.py',
        '--work-dir-root',
        root,
        STUDENT_CFG,
        child,
        *options_args({}),
    )
    assert_one_line_error(
        result,
        'these configs are evaluated on different data (LocalFashionMNIST '
        'test[:128], LocalFashionMNIST val[:128] of 10000)',
        '--mixed-datasets',
    )
    assert [p.name for p in root.iterdir()] == [LOCK_NAME]


def test_a_run_on_more_processes_or_of_other_code_is_not_reused(tmp_path):
    """Before, a run that ``tools/dist_train.sh CONFIG 2`` left in a work
    dir (steps of 2 x 64 images at the same learning rate) was reported as
    the config's, rc 0, nothing in the table to tell; so was a run trained
    before the mmsamkd code changed (``user_mistakes.py`` makes that
    change through the tools)."""
    root = tmp_path / 'runs'
    args = ('compare.py', STUDENT_CFG, '--work-dir-root', root)
    assert run_tool_in_process(*args, *options_args({})).returncode == 0
    # the record a two-process launch writes (test_dist_train_two_cpu_
    # processes, slow, checks that a real one does)
    work_dir = root / 'resnet8-quarter_1xb64_fmnist'
    record = json.loads((work_dir / 'run_config.json').read_text())
    assert record['batch'] == '1xb64'
    write_record(str(work_dir), dict(record, batch='2xb64'))
    result = run_tool_in_process(*args, *options_args({}))
    assert_one_line_error(result, 'batch 2xb64 vs 1xb64', '--collect-only')
    # read as trained, with its own batch in the table
    result = run_tool_in_process(*args, '--collect-only', *options_args({}))
    assert result.returncode == 0, result.stderr[-2000:]
    with open(root / 'compare' / 'results.csv', newline='') as f:
        (row,) = csv.DictReader(f)
    assert row['schedule'].endswith(', lr 0.05 → 0.05, 2xb64')
    assert row['code'] == record['code'] == training_code()
    older = dict(record, code='0.1.0+000000000000')
    write_record(str(work_dir), older)
    result = run_tool_in_process(*args, *options_args({}))
    assert_one_line_error(
        result,
        f'(mmsamkd code 0.1.0+000000000000 vs {training_code()})',
        '--collect-only',
    )
    result = run_tool_in_process(*args, '--collect-only', *options_args({}))
    assert result.returncode == 0, result.stderr[-2000:]
    with open(root / 'compare' / 'results.csv', newline='') as f:
        (row,) = csv.DictReader(f)
    assert row['code'] == '0.1.0+000000000000'
    # other settings, of either code: not a run of this config at all
    seed1 = options_args({'randomness.seed': 1})
    result = run_tool_in_process(*args, *seed1)
    assert 'seed 0 vs 1; mmsamkd code' in result.stderr
    assert '--collect-only' not in result.stderr


def test_a_row_says_where_the_learning_rate_ended(tmp_path):
    """A schedule cut short (``max_epochs=3`` under a cosine of 12) ends
    high; the schedule cell says where, from the run's own log."""
    from mmsamkd.comparison.report import summarize

    def launch(name, *records):
        folder = tmp_path / name / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(
            ''.join(json.dumps(r) + '\n' for r in records)
        )

    write_record(
        str(tmp_path),
        dict(schedule='3 epochs, lr 0.05', batch='1xb64', since='20260102'),
    )
    # an earlier run in the same dir, then this run and its resume
    launch('20260101_000000', {'lr': 0.5, 'step': 9})
    launch('20260102_000000', {'lr': 0.05, 'step': 4}, {'top1': 1, 'step': 1})
    launch(
        '20260103_000000',
        {'architecture.lr': 0.0375, 'adversary.lr': 2e-4, 'step': 12},
        {'top1': 2.0, 'step': 3},
    )
    history = {3: {'top1': 2.0}}
    row = summarize('samkd_x.py', str(tmp_path), history, 'top1', {})
    assert row['schedule'] == '3 epochs, lr 0.05 → 0.037, 1xb64'
    # no training record logged: nothing said
    for path in tmp_path.glob('2026010[23]*/vis_data/scalars.json'):
        path.write_text(json.dumps({'top1': 2.0, 'step': 3}) + '\n')
    row = summarize('samkd_x.py', str(tmp_path), history, 'top1', {})
    assert row['schedule'] == '3 epochs, lr 0.05, 1xb64'
    # milestones past the run's end: named beside it
    cfg = Config(
        dict(
            train_cfg=dict(max_epochs=3),
            param_scheduler=dict(type='MultiStepLR', milestones=[2, 3]),
        )
    )
    row = summarize('kd_x.py', str(tmp_path), history, 'top1', cfg)
    assert row['schedule'] == (
        '3 epochs, lr 0.05, 1xb64, learning rate milestones 3 not reached'
    )
