"""TransferMetric: agreement with the teacher, KL(teacher || student) and
calibration, by hand on tiny predictions, and through the tools."""

import ast
import glob
import json
import math
import os.path as osp

import pytest
import torch

from conftest import (
    KD_CFG,
    STUDENT_CFG,
    TINY_OPTIONS,
    options_args,
    run_tool_in_process,
)
from mmsamkd.engine.hooks.reliability_hook import read_reliability
from mmsamkd.evaluation import (
    TransferMetric,
    expected_calibration_error,
    reliability_bins,
)


def test_calibration_error_by_hand():
    # 15 bins of width 1/15: 0.95 falls in (14/15, 1], 0.55 in (8/15, 9/15]
    confidence = torch.tensor([0.95, 0.95, 0.55, 0.55])
    correct = torch.tensor([1.0, 0.0, 1.0, 1.0])
    # bin 14: confidence 0.95, accuracy 0.5; bin 8: 0.55 against 1.0;
    # each holds half of the predictions
    expected = 0.5 * abs(0.95 - 0.5) + 0.5 * abs(0.55 - 1.0)
    assert expected_calibration_error(confidence, correct) == pytest.approx(
        100 * expected
    )
    # perfectly calibrated: 3 of 4 right at confidence 0.75
    calibrated = expected_calibration_error(
        torch.full((4,), 0.75), torch.tensor([1.0, 1.0, 1.0, 0.0])
    )
    assert calibrated == pytest.approx(0, abs=1e-9)


def test_reliability_bins_by_hand():
    confidence = torch.tensor([0.95, 0.95, 0.55, 0.55, 0.05])
    correct = torch.tensor([True, False, True, True, False])
    table = reliability_bins(confidence, correct)
    assert len(table) == 15
    # 0.05 in (0, 1/15], 0.55 in (8/15, 9/15], 0.95 in (14/15, 1]
    filled = {b: t for b, t in enumerate(table) if t[0]}
    assert set(filled) == {0, 8, 14}
    assert filled[0] == (1, pytest.approx(0.05), 0.0)
    assert filled[8] == (2, pytest.approx(0.55), 1.0)
    assert filled[14] == (2, pytest.approx(0.95), 0.5)
    empty = [t for b, t in enumerate(table) if b not in filled]
    assert empty == [(0, None, None)] * 12
    # a confidence on an edge belongs to the bin it closes: (0.25, 0.5]
    edges = reliability_bins(
        torch.tensor([0.25, 0.5, 1.0]), torch.tensor([True] * 3), bins=4
    )
    assert [count for count, _, _ in edges] == [1, 1, 0, 1]


def samples(student, teacher, labels):
    return [
        dict(
            pred_score=torch.tensor(s),
            teacher_score=torch.tensor(t),
            gt_label=y,
        )
        for s, t, y in zip(student, teacher, labels)
    ]


def test_agreement_kl_and_both_calibrations_by_hand():
    student = [[0.7, 0.2, 0.1], [0.1, 0.28, 0.62]]
    teacher = [[0.62, 0.28, 0.1], [0.2, 0.5, 0.3]]
    labels = [0, 1]
    metric = TransferMetric()
    metric.process({}, samples(student, teacher, labels))
    got = metric.compute_metrics(metric.results)

    def kl(t, s):
        return sum(p * math.log(p / q) for p, q in zip(t, s))

    # top-1: student 0 and 2, teacher 0 and 1
    assert got['agreement'] == pytest.approx(50.0)
    assert got['kl'] == pytest.approx(
        (kl(teacher[0], student[0]) + kl(teacher[1], student[1])) / 2,
        rel=1e-5,
    )
    # student: right at 0.7 (bin 10), wrong at 0.62 (bin 9)
    assert got['ece'] == pytest.approx(100 * (0.5 * 0.3 + 0.5 * 0.62))
    # teacher: right at 0.62 (bin 9) and at 0.5 (bin 7)
    assert got['teacher_ece'] == pytest.approx(100 * (0.5 * 0.38 + 0.5 * 0.5))


def test_a_student_equal_to_its_teacher_agrees_fully_at_kl_zero():
    probabilities = torch.softmax(torch.randn(32, 10), dim=1).tolist()
    labels = list(range(10)) * 3 + [0, 1]
    metric = TransferMetric()
    metric.process({}, samples(probabilities, probabilities, labels))
    got = metric.compute_metrics(metric.results)
    assert got['agreement'] == 100.0
    assert got['kl'] == pytest.approx(0.0, abs=1e-6)
    assert got['ece'] == pytest.approx(got['teacher_ece'])


def test_without_a_teacher_only_calibration():
    metric = TransferMetric()
    metric.process({}, [dict(pred_score=torch.tensor([0.9, 0.1]), gt_label=0)])
    got = metric.compute_metrics(metric.results)
    assert got == {'ece': pytest.approx(10.0)}


def test_without_reliability_hook_only_the_last_two_passes_are_kept():
    """A validation's student and teacher passes; a run that nobody
    empties (no ReliabilityHook) must not grow by a diagram a pass."""
    metric = TransferMetric()
    for _ in range(3):
        metric.process(
            {}, [dict(pred_score=torch.tensor([0.9, 0.1]), gt_label=0)]
        )
        metric.compute_metrics(metric.results)
    assert len(metric.diagrams) == 2


def last_validation(work_dir):
    (scalars,) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    rows = [json.loads(line) for line in open(scalars)]
    return [r for r in rows if 'accuracy/top1' in r][-1]


def test_validation_and_test_py_give_the_same_transfer(
    fmnist_teacher_ckpt, tmp_path
):
    """A KD run's last validation (the Runner's own loop, the teacher's
    predictions beside the student's) and tools/test.py on its final
    checkpoint evaluate the same images: the same numbers."""
    options = options_args({'model.teacher_ckpt': fmnist_teacher_ckpt})
    result = run_tool_in_process(
        'train.py', KD_CFG, '--work-dir', tmp_path / 'kd', *options
    )
    assert result.returncode == 0, result.stderr[-3000:]
    validated = last_validation(tmp_path / 'kd')
    keys = ('agreement', 'kl', 'ece', 'teacher_ece')
    assert all(f'transfer/{k}' in validated for k in keys)
    # the teacher's own pass reports its calibration too
    assert validated['teacher.transfer/ece'] == pytest.approx(
        validated['transfer/teacher_ece']
    )
    # the last validation's diagrams: every image in one bin, the ECE
    # the log shows
    diagrams = read_reliability(tmp_path / 'kd')
    assert diagrams['epoch'] == validated['step']
    for who, key in (('student', 'ece'), ('teacher', 'teacher_ece')):
        bins = diagrams[who]
        total = sum(n for n, _, _ in bins)
        assert total == TINY_OPTIONS['val_dataloader.dataset.indices']
        ece = sum(n / total * abs(c - a) for n, c, a in bins if n) * 100
        assert ece == pytest.approx(validated[f'transfer/{key}'], abs=1e-4)
    result = run_tool_in_process(
        'test.py',
        KD_CFG,
        tmp_path / 'kd' / 'epoch_1.pth',
        '--work-dir',
        tmp_path / 'test',
        *options,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    tested = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    for key in keys:
        assert tested[f'transfer/{key}'] == pytest.approx(
            validated[f'transfer/{key}'], abs=1e-4
        ), key
    tested_diagrams = read_reliability(tmp_path / 'test', 'test')
    for who in ('student', 'teacher'):
        for got, want in zip(tested_diagrams[who], diagrams[who]):
            assert got[0] == want[0]
            assert got[2] == pytest.approx(want[2])

    # a student alone has no teacher: its calibration only
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        tmp_path / 'alone',
        *options_args({}),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    alone = last_validation(tmp_path / 'alone')
    assert 'transfer/ece' in alone and 'transfer/agreement' not in alone


class Teacher(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)
        self.calls = 0

    def forward(self, inputs, mode='tensor'):
        from mmpretrain.structures import DataSample

        self.calls += 1
        scores = torch.softmax(self.fc(inputs), dim=1)
        return [DataSample().set_pred_score(s) for s in scores]


class Algorithm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.teacher = Teacher()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        from mmpretrain.structures import DataSample

        return [DataSample() for _ in inputs]


def test_a_frozen_teacher_runs_once_per_batch_while_it_is_unchanged():
    from types import SimpleNamespace

    from mmsamkd.engine.hooks import TeacherScoresHook

    algorithm = Algorithm()
    runner = SimpleNamespace(
        model=algorithm,
        val_evaluator=SimpleNamespace(metrics=[TransferMetric()]),
    )
    hook = TeacherScoresHook()
    batches = [torch.randn(2, 4), torch.randn(2, 4)]

    def validate(batches):
        hook.before_val_epoch(runner)
        outputs = []
        for idx, inputs in enumerate(batches):
            hook.before_val_iter(runner, idx)
            outputs += algorithm(inputs=inputs, mode='predict')
        hook.after_val_epoch(runner)
        return torch.stack([s.teacher_score for s in outputs])

    first = validate(batches)
    expected = torch.softmax(algorithm.teacher.fc(torch.cat(batches)), 1)
    torch.testing.assert_close(first, expected.detach())
    assert algorithm.teacher.calls == 2
    torch.testing.assert_close(validate(batches), first)
    assert algorithm.teacher.calls == 2  # reused
    # the teacher changed (a snapshot, a step), the batches did not
    with torch.no_grad():
        algorithm.teacher.fc.weight.mul_(2)
    changed = validate(batches)
    assert algorithm.teacher.calls == 4
    assert not torch.allclose(changed, first)
    # another image at a batch's place (a shuffled loader): run again
    validate([batches[1], batches[0]])
    assert algorithm.teacher.calls == 6
    # the algorithm called positionally, as forward(inputs, samples, mode)
    hook.before_val_epoch(runner)
    hook.before_val_iter(runner, 0)
    positional = algorithm(batches[0], None, 'predict')
    tensor_mode = algorithm(batches[0], None)
    hook.after_val_epoch(runner)
    torch.testing.assert_close(
        torch.stack([s.teacher_score for s in positional]), changed[:2]
    )
    assert tensor_mode[0].get('teacher_score') is None
    # training-mode forwards are left alone
    assert (
        algorithm(inputs=batches[0], mode='loss')[0].get('teacher_score')
        is None
    )
