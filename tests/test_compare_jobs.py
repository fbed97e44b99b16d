"""compare.py --jobs: parallel runs that wait for the teachers they read,
each on a GPU of its own where there are several."""

import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from conftest import REPO
from mmsamkd.comparison import runs as run_plan
from mmsamkd.comparison import scheduler
from mmsamkd.errors import MmsamkdError

TRAINER = [osp.join(REPO, 'tools', 'train.py')]


def fake_run(tmp_path, name, **cfg):
    return (f'{name}.py', str(tmp_path / name), Config(cfg))


def fake_training(monkeypatch, tmp_path, fail=(), slow=()):
    """Each 'training' logs its start and end times, sleeping between, and
    the GPUs and threads it was given."""
    events = tmp_path / 'events.jsonl'

    def command(trainer, config, work_dir, cfg_options):
        name = osp.basename(work_dir)
        code = (
            'import json, sys, time\n'
            f'log = open({str(events)!r}, "a")\n'
            f'print(json.dumps(["start", {name!r}, time.time()]), '
            'file=log, flush=True)\n'
            'import os\n'
            f'print(json.dumps(["gpus", {name!r}, '
            'os.environ.get("CUDA_VISIBLE_DEVICES")]), file=log, flush=True)\n'
            f'print(json.dumps(["threads", {name!r}, '
            'os.environ.get("OMP_NUM_THREADS")]), file=log, flush=True)\n'
            f'time.sleep({2.0 if name in slow else 0.6})\n'
            f'print(json.dumps(["end", {name!r}, time.time()]), '
            'file=log, flush=True)\n'
            f'sys.exit({int(name in fail)})\n'
        )
        return [sys.executable, '-c', code]

    monkeypatch.setattr(scheduler, 'train_command', command)

    def read():
        times = {}
        for line in events.read_text().splitlines():
            kind, name, value = json.loads(line)
            times[(kind, name)] = value
        return times

    return read


def test_dependencies_come_from_teacher_ckpt_and_load_from(tmp_path):
    teacher = str(tmp_path / 'teacher')
    kd = Config(dict(model=dict(teacher_ckpt=f'{teacher}/epoch_12.pth')))
    ssa = Config(dict(model=dict(), load_from=f'{teacher}/epoch_12.pth'))
    alone = Config(dict(model=dict(), load_from=None))
    assert run_plan.depends_on(kd, teacher)
    assert run_plan.depends_on(ssa, teacher)
    assert not run_plan.depends_on(alone, teacher)
    # a sibling folder whose name starts the same is not the teacher's
    assert not run_plan.depends_on(kd, teacher[:-1])


def test_jobs_overlap_independent_runs_and_wait_for_teachers(
    tmp_path, monkeypatch
):
    read = fake_training(monkeypatch, tmp_path)
    ckpt = str(tmp_path / 'teacher' / 'epoch_1.pth')
    runs = [
        fake_run(tmp_path, 'teacher', model=dict()),
        fake_run(tmp_path, 'alone', model=dict()),
        fake_run(tmp_path, 'kd', model=dict(teacher_ckpt=ckpt)),
        fake_run(tmp_path, 'ssa', model=dict(), load_from=ckpt),
    ]
    scheduler.train_all(TRAINER, runs, None, jobs=2)
    t = read()
    # teacher and alone side by side; kd and ssa only after the teacher
    assert t['start', 'alone'] < t['end', 'teacher']
    assert t['start', 'kd'] >= t['end', 'teacher']
    assert t['start', 'ssa'] >= t['end', 'teacher']
    assert max(t['start', 'kd'], t['start', 'ssa']) < min(
        t['end', 'kd'], t['end', 'ssa']
    )
    assert (tmp_path / 'kd' / 'compare_train.log').is_file()


@pytest.mark.parametrize('jobs', [1, 2])
def test_a_teacher_listed_after_its_student_trains_first(
    tmp_path, monkeypatch, jobs
):
    """Before: the student started first and stopped at its start,
    "teacher_ckpt ... does not exist"."""
    read = fake_training(monkeypatch, tmp_path)
    ckpt = str(tmp_path / 'teacher' / 'epoch_1.pth')
    runs = [
        fake_run(tmp_path, 'kd', model=dict(teacher_ckpt=ckpt)),
        fake_run(tmp_path, 'teacher', model=dict()),
    ]
    scheduler.train_all(TRAINER, runs, None, jobs=jobs)
    t = read()
    assert t['start', 'kd'] >= t['end', 'teacher']
    # two runs that read each other: said, not left untrained
    runs[1] = fake_run(
        tmp_path, 'teacher', model=dict(), load_from=f'{tmp_path}/kd/e.pth'
    )
    with pytest.raises(
        MmsamkdError,
        match='^kd.py and teacher.py read checkpoints of one another',
    ):
        scheduler.train_all(TRAINER, runs, None, jobs=jobs)


def test_a_failed_teacher_stops_its_students(tmp_path, monkeypatch):
    read = fake_training(monkeypatch, tmp_path, fail=('teacher',))
    ckpt = str(tmp_path / 'teacher' / 'epoch_1.pth')
    runs = [
        fake_run(tmp_path, 'teacher', model=dict()),
        fake_run(tmp_path, 'kd', model=dict(teacher_ckpt=ckpt)),
    ]
    with pytest.raises(
        MmsamkdError,
        match='training teacher.py failed; its output is in .*teacher/'
        'compare_train.log. It saved no checkpoint',
    ):
        scheduler.train_all(TRAINER, runs, None, jobs=2)
    assert ('start', 'kd') not in read()
    # one run at a time prints to the terminal; a run with a checkpoint
    # resumes when the command is run again
    (tmp_path / 'teacher' / 'epoch_1.pth').write_bytes(b'')
    with pytest.raises(
        MmsamkdError,
        match='training teacher.py failed; its error is printed above. '
        'Rerun the same command to resume it',
    ):
        scheduler.train_all(TRAINER, runs, None, jobs=1)


def test_runs_side_by_side_get_a_gpu_each(tmp_path, monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setattr(scheduler.os, 'cpu_count', lambda: 2)
    read = fake_training(monkeypatch, tmp_path, slow=('a',))
    monkeypatch.setattr(scheduler, 'visible_gpus', lambda: ['3', '5'])
    runs = [fake_run(tmp_path, name, model=dict()) for name in 'abc']
    (tmp_path / 'a').mkdir()  # a run being resumed
    scheduler.train_all(TRAINER, runs, None, jobs=2)
    t = read()
    # a and b run together, on different GPUs; c takes b's when b ends,
    # while a still runs on the other
    assert {t['gpus', 'a'], t['gpus', 'b']} == {'3', '5'}
    assert t['end', 'b'] <= t['start', 'c'] < t['end', 'a']
    assert t['gpus', 'c'] == t['gpus', 'b']
    # and share the CPU cores (2 here) rather than each taking all of them
    assert {t['threads', n] for n in 'abc'} == {'1'}
    # one run at a time keeps the caller's devices and threads and prints
    # to the terminal
    scheduler.train_all(
        TRAINER, [fake_run(tmp_path, 'd', model=dict())], None, jobs=1
    )
    assert read()['gpus', 'd'] is None
    assert read()['threads', 'd'] is None
    assert not (tmp_path / 'd' / 'compare_train.log').exists()
    # threads the caller set are kept
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    scheduler.train_all(
        TRAINER, [fake_run(tmp_path, 'e', model=dict())], None, jobs=2
    )
    assert read()['threads', 'e'] == '3'


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    assert scheduler.visible_gpus() == ['0', '1']
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '2, 7')
    assert scheduler.visible_gpus() == ['2', '7']
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert scheduler.visible_gpus() == []


def test_snapshots_move_into_the_root_and_make_a_dependency(tmp_path):
    """Before: MS-MGANs read its teacher snapshots from ./work_dirs under
    any --work-dir-root, and the table showed another teacher."""
    cfg = Config.fromfile(
        osp.join(
            REPO,
            'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py',
        )
    )
    root = str(tmp_path / 'root')
    options = run_plan.same_root_paths(cfg, root)
    snapshots = options['model.teacher_snapshots']
    assert len(snapshots) == len(cfg.model.teacher_snapshots)
    assert all(p.startswith(root + '/resnet14_snapshots_') for p in snapshots)
    assert options['model.teacher_ckpt'] == snapshots[0]
    cfg.merge_from_dict(options)
    assert run_plan.depends_on(cfg, f'{root}/resnet14_snapshots_1xb64_fmnist')
    # lists reach tools/train.py in the form --cfg-options reads
    command = scheduler.train_command(
        TRAINER, 'c.py', str(tmp_path / 'w'), options
    )
    assert f'model.teacher_snapshots=[{",".join(snapshots)}]' in command


def test_runs_that_log_to_files_report_where_they_stand(
    tmp_path, monkeypatch, capsys
):
    """Before: with --jobs 2 each run's output went to its log file and the
    console stayed silent for minutes."""
    lines = (
        'Epoch(train)  [2][ 20/79]  lr: 5.0e-02  eta: 0:01:30  time: 0.1\n'
        'Epoch(train)  [2][ 40/79]  lr: 5.0e-02  eta: 0:01:10  time: 0.1\n'
        'Epoch(val) [2][1/1]    accuracy/top1: 78.2000  time: 0.1\n'
        'Epoch(train)  [3][ 20/79]  lr: 4.6e-02  eta: 0:00:52  time: 0.1\n'
    )

    def command(trainer, config, work_dir, cfg_options):
        code = f'import time; print({lines!r}, flush=True); time.sleep(1.5)'
        return [sys.executable, '-c', code]

    monkeypatch.setattr(scheduler, 'train_command', command)
    monkeypatch.setattr(scheduler, 'PROGRESS_SECONDS', 0.5)
    runs = [
        fake_run(tmp_path, name, train_cfg=dict(max_epochs=12))
        for name in ('kd', 'hsakd')
    ]
    scheduler.train_all(TRAINER, runs, None, jobs=2)
    out = capsys.readouterr().out
    for name in ('kd', 'hsakd'):
        assert (
            f'   {name}: epoch 3/12, iteration 20/79, eta 0:00:52, '
            'last val top-1 78.2000'
        ) in out
    # a run that has not logged a step yet
    assert scheduler.progress_line(
        'x.py', str(tmp_path / 'none'), runs[0][2]
    ) == ('   x: starting')
    # one that has logged one step and no validation
    (tmp_path / 'one').mkdir()
    (tmp_path / 'one' / 'compare_train.log').write_text(lines.split('\n')[0])
    assert scheduler.progress_line(
        'one.py', str(tmp_path / 'one'), runs[0][2]
    ) == ('   one: epoch 2/12, iteration 20/79, eta 0:01:30')
    # every PROGRESS_SECONDS, not at every poll; never with one run at a
    # time, whose output is on the terminal already
    for jobs, seconds in ((2, 30), (1, 0.5)):
        monkeypatch.setattr(scheduler, 'PROGRESS_SECONDS', seconds)
        scheduler.train_all(TRAINER, runs, None, jobs=jobs)
        assert ': epoch' not in capsys.readouterr().out
