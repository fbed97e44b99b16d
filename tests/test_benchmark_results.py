"""The benchmark's results CSV and the README tables generated from it."""

import csv
import os.path as osp
import sys

import pytest

from conftest import REPO
from mmsamkd.utils.run_results import run_record, write_record

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import fmnist_methods  # noqa: E402
import results_table  # noqa: E402


def row(method, seed, split, top1):
    return dict(
        method=method,
        seed=seed,
        split=split,
        top1=top1,
        epochs=12,
        train_images=5000,
        teacher='resnet14',
        student='resnet8-quarter',
        date='2026-11-26',
        machine='x86_64 CPU, 2 cores',
    )


def test_table_mean_and_sample_std_per_method_in_method_order():
    rows = [
        row('kd', 0, 'test', '80.00'),
        row('kd', 1, 'test', '81.00'),
        row('kd', 2, 'test', '82.50'),
        row('vanilla', 0, 'test', '78.00'),
        row('teacher', 0, 'test', '86.00'),
        row('kd', 0, 'val', '99.00'),  # another split: not in this table
    ]
    text = results_table.markdown(rows, 'test')
    lines = text.splitlines()
    assert lines[0] == '| method | seed 0 | seed 1 | seed 2 | mean ± std |'
    assert [line.split(' | ')[0] for line in lines[2:]] == [
        '| teacher',
        '| vanilla',
        '| kd',
    ]
    # mean 81.1667, sample std sqrt(((-1.1667)^2 + (-0.1667)^2 +
    # 1.3333^2) / 2) = 1.2583
    assert lines[4] == '| kd | 80.00 | 81.00 | 82.50 | 81.17 ± 1.26 |'
    assert lines[2] == '| teacher | 86.00 |  |  | 86.00 ± 0.00 |'
    assert results_table.markdown(rows, 'nope') == ''


def test_cost_columns_average_the_runs_that_recorded_them():
    def costly(seed, seconds, per_iter, peak):
        return dict(
            row('kd', seed, 'test', '80.00'),
            train_seconds=str(seconds),
            seconds_per_iter=str(per_iter),
            peak_mb=str(peak),
        )

    rows = [
        costly(0, 100, 0.100, 900),
        costly(2, 161, 0.150, 1000),
        row('kd', 1, 'test', '81.00'),  # made before costs were recorded
        row('vanilla', 0, 'test', '78.00'),
    ]
    lines = results_table.markdown(rows, 'test').splitlines()
    assert lines[0].endswith(
        '| mean ± std | train time | s/iter | peak MiB | cost of seeds |'
    )
    # kd: (100 + 161) / 2 = 130.5 s -> 0:02:10 (rounded half to even),
    # (0.1 + 0.15) / 2 = 0.125 s/iter, 950 MiB, from seeds 0 and 2
    assert lines[3].endswith('| 0:02:10 | 0.125 | 950 | 0, 2 |')
    assert lines[2].endswith('| 78.00 ± 0.00 | | | | |')  # vanilla: none


def test_targets_are_checked_on_test_means_and_stds():
    rows = [row('teacher', 0, 'test', '86.00')]
    for seed, values in enumerate(
        [(78.0, 80.0, 81.0, 84.0), (78.4, 80.2, 81.6, 84.8)]
    ):
        for method, top1 in zip(('vanilla', 'kd', 'hsakd', 'samkd'), values):
            rows.append(row(method, seed, 'test', str(top1)))
    lines = results_table.checks(rows).splitlines()
    # stds: vanilla 0.28, kd 0.14, hsakd 0.42, samkd 0.57
    assert lines == [
        '- yes: teacher - student alone = 7.80 (target >= 3)',
        '- yes: kd - vanilla = 1.90 (target > 2 x larger std 0.28)',
        '- yes: hsakd - kd = 1.20 (target > larger std 0.42)',
        '- yes: samkd - hsakd = 3.10 (target > larger std 0.57)',
        '- **no**: teacher - samkd = 1.60 (target <= 1.5)',
    ]


def test_csv_rows_replace_the_same_run_and_keep_the_others(tmp_path):
    path = str(tmp_path / 'results.csv')
    fmnist_methods.write_rows(
        path, [row('kd', 0, 'val', '1.00'), row('kd', 1, 'val', '2.00')]
    )
    fmnist_methods.write_rows(
        path, [row('kd', 0, 'val', '3.00'), row('kd', 0, 'test', '4.00')]
    )
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == results_table.COLUMNS
    assert sorted((r['seed'], r['split'], r['top1']) for r in rows) == [
        ('0', 'test', '4.00'),
        ('0', 'val', '3.00'),
        ('1', 'val', '2.00'),
    ]


def test_readme_block_is_rewritten_between_markers(tmp_path):
    readme = tmp_path / 'README.md'
    begin, end = results_table.BEGIN, results_table.END
    readme.write_text(f'intro\n{begin}\nold figures\n{end}\noutro\n')
    assert results_table.rewrite(str(readme), 'new table\n')
    assert readme.read_text() == f'intro\n{begin}\nnew table\n{end}\noutro\n'
    other = tmp_path / 'OTHER.md'
    other.write_text('no block here\n')
    assert not results_table.rewrite(str(other), 'x\n')


@pytest.mark.parametrize(
    'readme',
    [
        'README.md',
        'configs/samkd/README.md',
        'configs/hsakd/README.md',
        'configs/icakd/README.md',
        'configs/kd/README.md',
        'configs/lightskd/README.md',
        'configs/msmgan/README.md',
        'configs/sskd/README.md',
        'benchmarks/README.md',
    ],
)
def test_readme_figures_are_the_committed_csv(readme):
    """A README table is generated from the CSVs, never typed or stale."""
    with open(osp.join(REPO, readme), encoding='utf-8') as f:
        text = f.read()
    found = 0
    for name, generated in results_table.blocks().items():
        begin, end = results_table.markers(name)
        if begin in text:
            found += 1
            block = text.split(begin)[1].split(end)[0]
            assert block == '\n' + generated, f'{readme}: {name} is stale'
    assert found


def test_study_ranks_variants_on_validation_and_adds_final_test():
    study = [
        row('hsakd', 0, 'val', '81.00'),
        row('samkd-a', 0, 'val', '80.00'),
        row('samkd-a', 1, 'val', '82.00'),
        row('samkd-b', 0, 'val', '79.00'),
    ]
    methods = [row('hsakd', s, 'test', t) for s, t in ((0, '80'), (1, '81'))]
    lines = results_table.study_block(study, methods).splitlines()
    assert lines[2:] == [
        '| hsakd | 0 | 81.00 ± 0.00 | 80.50 ± 0.71 (2) |',
        '| samkd-a | 0, 1 | 81.00 ± 1.41 |  |',
        '| samkd-b | 0 | 79.00 ± 0.00 |  |',
    ]


def test_paired_study_gives_each_variant_its_gap_to_hsakd_per_seed():
    study = [
        row('samkd-a', 0, 'val', '80.00'),
        row('samkd-a', 1, 'val', '82.00'),
        row('samkd-a', 2, 'val', '79.00'),
    ]
    methods = [
        row('hsakd', 0, 'val', '81.00'),
        row('hsakd', 1, 'val', '80.00'),
    ]
    lines = results_table.study_block(study, methods, paired=True)
    # seed 2 has no HSAKD run: differences -1 and +2 on seeds 0 and 1;
    # ranked by that gap (+0.50 against HSAKD's 0), not by the mean
    assert lines.splitlines()[1:] == [
        '|---|---|---|---|---|',
        '| samkd-a | 0, 1, 2 | 80.33 ± 1.53 |  | +0.50 ± 2.12 (2) |',
        '| hsakd | 0, 1 | 80.50 ± 0.71 |  |  |',
    ]


def test_paired_study_against_another_reference():
    # the capacity check pairs its SAMKD with HSAKD on the same wider
    # student, not with the benchmark's HSAKD
    study = [
        row('hsakd-half', 0, 'val', '84.00'),
        row('samkd-half', 0, 'val', '84.25'),
        row('hsakd', 0, 'val', '80.00'),
    ]
    lines = results_table.study_block(
        study, paired=True, reference='hsakd-half'
    ).splitlines()
    assert lines[0].endswith(' val - hsakd-half, same seeds |')
    assert lines[2:] == [
        '| samkd-half | 0 | 84.25 ± 0.00 |  | +0.25 ± 0.00 (1) |',
        '| hsakd-half | 0 | 84.00 ± 0.00 |  |  |',
        '| hsakd | 0 | 80.00 ± 0.00 |  | -4.00 ± 0.00 (1) |',
    ]


def test_benchmark_reuses_a_run_only_with_the_same_options(tmp_path):
    """The benchmark makes compare.py's check on the run's record."""
    config = 'configs/vanilla/resnet8-quarter_1xb64_fmnist.py'
    work_dir = tmp_path / 'run'
    seed1 = fmnist_methods.load_cfg(config, {'randomness.seed': 1})
    write_record(str(work_dir), dict(run_record(seed1), threads=1))
    with pytest.raises(SystemExit, match='holds a run of .* other settings'):
        fmnist_methods.train(config, str(work_dir), {'randomness.seed': 2})


def test_benchmark_refuses_a_run_of_other_threads(tmp_path):
    """A CPU run's figures depend on its thread count."""
    config = 'configs/vanilla/resnet8-quarter_1xb64_fmnist.py'
    work_dir = tmp_path / 'run'
    cfg = fmnist_methods.load_cfg(config, {})
    write_record(str(work_dir), dict(run_record(cfg), threads=2))
    with pytest.raises(SystemExit, match='trained on 2 threads, not 1'):
        fmnist_methods.train(config, str(work_dir), {})


def test_benchmark_refuses_a_run_of_a_retrained_teacher(tmp_path):
    config = 'configs/kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    teacher = tmp_path / 'epoch_12.pth'
    teacher.write_bytes(b'the teacher the student learnt from')
    options = {'model.teacher_ckpt': str(teacher)}
    cfg = fmnist_methods.load_cfg(config, options)
    work_dir = tmp_path / 'run'
    write_record(str(work_dir), dict(run_record(cfg), threads=1))
    teacher.write_bytes(b'the teacher trained again')
    with pytest.raises(SystemExit, match='teacher_ckpt has changed'):
        fmnist_methods.train(config, str(work_dir), options)


def test_a_row_counts_the_images_its_own_run_trained_on():
    """Not the teacher's 5000: the data-scarce check trains on 1000."""
    counts = {
        config: fmnist_methods.train_images(
            fmnist_methods.load_cfg(config, {})
        )
        for config in (
            fmnist_methods.TEACHER,
            fmnist_methods.METHODS['hsakd'],
            'configs/hsakd/study/hsakd-1k_resnet14_resnet8-quarter_1xb64_fmnist.py',
        )
    }
    assert list(counts.values()) == [5000, 5000, 1000]
    cfg = fmnist_methods.load_cfg(fmnist_methods.METHODS['kd'], {})
    cfg.train_dataloader.dataset.indices = list(range(7))
    assert fmnist_methods.train_images(cfg) == 7
    cfg.train_dataloader.dataset.indices = None
    with pytest.raises(
        SystemExit, match='set train_dataloader.dataset.indices'
    ):
        fmnist_methods.train_images(cfg)


def test_speed_option_block_pairs_each_method_with_its_fp32_runs():
    rows = [
        row('kd', 0, 'val', '80.00'),
        row('kd', 1, 'val', '81.00'),
        row('kd-amp', 0, 'val', '80.50'),
        row('kd-amp', 1, 'val', '80.00'),
        row('hsakd', 0, 'val', '82.00'),  # no amp run: not in the table
        row('kd-amp', 0, 'test', '10.00'),  # another split
        row('kd-cl', 0, 'val', '70.00'),  # another option
        row('kd-cl', 1, 'val', '70.00'),
        # both options (fmnist_methods.py --amp --channels-last): kd-amp
        # is not the fp32 reference of a channels-last row
        row('kd-amp-cl', 0, 'val', '60.00'),
        row('kd-amp-cl', 1, 'val', '60.00'),
    ]
    channels_last = results_table.speed_option_block(rows, '-cl', 'x')
    assert [line.split(' |')[0] for line in channels_last.splitlines()] == [
        '| method',
        '|---|---|---|---|---|---|',
        '| kd',
    ]
    lines = results_table.speed_option_block(rows, '-amp', 'amp')
    lines = lines.splitlines()
    assert len(lines) == 3
    # gaps +0.50 and -1.00: mean -0.25, sample std 1.06
    assert lines[2] == (
        '| kd | 0, 1 | 80.50 ± 0.71 | 80.25 ± 0.35 | +0.50, -1.00 | '
        '-0.25 ± 1.06 |'
    )
