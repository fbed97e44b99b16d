"""compare.py reports only runs of the settings it was asked for.

Before run records, a finished run counted whatever data, lr or config
made it (a rerun with other options reprinted the old numbers), a longer
schedule resumed a run trained on other data, datasets shared one table
unnamed, a distillation config under --work-dir-root read its teacher
from ./work_dirs, and a student distilled from a teacher trained again
since was collected beside the new teacher.
"""

import os.path as osp
import shutil

import pytest
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    REPO,
    STUDENT_CFG,
    TEACHER_CFG,
    options_args,
    run_tool,
    run_tool_in_process,
)

CIFAR_TEACHER = osp.join(REPO, 'configs/teachers/resnet32x4_1xb64_cifar100.py')
SNAPSHOTS_CFG = osp.join(
    REPO, 'configs/teachers/resnet14_snapshots_1xb64_fmnist.py'
)
MSMGAN_CFG = osp.join(
    REPO, 'configs/msmgan/msmgan_resnet14_resnet8-quarter_1xb64_fmnist.py'
)


def compare(root, *configs, **options):
    """compare.py's main() in this process (its trainers are processes)."""
    return run_tool_in_process(
        'compare.py',
        '--work-dir-root',
        root,
        *configs,
        *options_args(options),
        cwd=root.parent,
    )


@pytest.mark.slow
def test_a_rerun_with_other_settings_is_refused_not_reprinted(tmp_path):
    root = tmp_path / 'runs'
    first = compare(root, STUDENT_CFG)
    assert first.returncode == 0, first.stderr[-2000:]
    table = (root / 'compare' / 'results.md').read_text()
    assert (
        '| LocalFashionMNIST[:256] | LocalFashionMNIST test[:128] '
        '| 1 epochs, lr 0.05 → 0.05, 1xb64 | 0 |'
    ) in table
    again = compare(root, STUDENT_CFG)  # same settings: collected
    assert again.returncode == 0 and '== training' not in again.stdout
    other_lr = compare(
        root, STUDENT_CFG, **{'optim_wrapper.optimizer.lr': 0.2}
    )
    assert_one_line_error(
        other_lr, 'other settings', 'lr 0.05 vs 1 epochs, lr 0.2'
    )
    other_seed = compare(root, STUDENT_CFG, **{'randomness.seed': 1})
    assert_one_line_error(other_seed, 'seed 0 vs 1')


def test_resuming_a_run_of_other_data_is_refused(tmp_path):
    work_dir = tmp_path / 'run'
    assert (
        run_tool_in_process(
            'train.py', STUDENT_CFG, '--work-dir', work_dir, *options_args({})
        ).returncode
        == 0
    )
    longer = {
        'train_cfg.max_epochs': 2,
        'train_dataloader.dataset.indices': 128,
    }
    result = run_tool_in_process(
        'train.py',
        STUDENT_CFG,
        '--work-dir',
        work_dir,
        '--resume',
        *options_args(longer),
    )
    assert_one_line_error(
        result, 'LocalFashionMNIST[:256] vs LocalFashionMNIST[:128]'
    )
    assert not (work_dir / 'epoch_2.pth').exists()


def test_configs_on_different_data_need_mixed_datasets(tmp_path):
    result = compare(tmp_path / 'runs', STUDENT_CFG, CIFAR_TEACHER)
    assert_one_line_error(result, 'different data', '--mixed-datasets')


@pytest.mark.slow
def test_distillation_reads_its_teacher_from_the_same_root(tmp_path):
    """A comparison shortened to 2 epochs: the KD config names the
    teacher's epoch_12.pth; the student reads its final epoch_2.pth (before:
    refused, "teacher_ckpt ... does not exist", after training it)."""
    root = tmp_path / 'runs'
    tiny = {
        'train_dataloader.dataset.indices': 48,
        'train_dataloader.batch_size': 16,
        'train_cfg.max_epochs': 2,
    }
    result = compare(root, TEACHER_CFG, KD_CFG, **tiny)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / 'work_dirs').exists()
    log = (root / 'kd_resnet14_resnet8-quarter_1xb64_fmnist').glob('*/*.log')
    teacher = root / 'resnet14_1xb64_fmnist' / 'epoch_2.pth'
    assert str(teacher) in next(log).read_text()

    # a teacher trained again is another teacher: the finished student
    # is not collected beside it (before, it was, with rc 0)
    teacher.write_bytes(teacher.read_bytes() + b'retrained')
    replaced = compare(root, TEACHER_CFG, KD_CFG, **tiny)
    assert_one_line_error(
        replaced, 'kd_resnet14', 'teacher_ckpt has changed since'
    )
    # nor is it when its teacher's run is gone and would be trained now
    shutil.rmtree(teacher.parent)
    removed = compare(root, TEACHER_CFG, KD_CFG, **tiny)
    assert_one_line_error(
        removed, 'kd_resnet14', 'holds no finished run now', 'Remove'
    )
    assert not teacher.parent.exists()  # refused before any training


def test_a_checkpoint_a_listed_run_will_not_save_is_refused_first(tmp_path):
    """MS-MGANs' snapshots are epochs 4, 8 and 12 of their teacher's run:
    a comparison shortened to 2 epochs never saves them, one keeping a
    single checkpoint removes two (before: refused
    at the student's turn, after the teacher had trained, with a line
    that said to train the teacher)."""
    root = tmp_path / 'runs'
    result = compare(
        root, SNAPSHOTS_CFG, MSMGAN_CFG, **{'train_cfg.max_epochs': 2}
    )
    assert_one_line_error(
        result,
        'msmgan_resnet14',
        'names epoch_4.pth of the run of',
        'resnet14_snapshots_1xb64_fmnist.py',
        'trains only 2 epochs',
    )
    # refused before the teacher trained
    assert not (root / 'resnet14_snapshots_1xb64_fmnist').exists()
    # one checkpoint kept, to save disk: the teacher trained, then
    # "teacher_ckpt ... does not exist. Train the teacher first"
    result = compare(
        root,
        SNAPSHOTS_CFG,
        MSMGAN_CFG,
        **{
            'train_cfg.max_epochs': 12,
            'default_hooks.checkpoint.max_keep_ckpts': 1,
        },
    )
    assert_one_line_error(
        result,
        'names epoch_4.pth of the run of',
        'removes it (default_hooks.checkpoint.max_keep_ckpts=1 keeps '
        'epoch_12.pth)',
    )
    assert not (root / 'resnet14_snapshots_1xb64_fmnist').exists()


@pytest.mark.slow
def test_a_run_that_fails_before_its_first_checkpoint_names_the_fix(
    tmp_path,
):
    """Before: "its log is under <work dir>" (a folder that did not exist)
    and "Rerun the same command to resume", which failed the same way."""
    root = tmp_path / 'runs'
    missing = tmp_path / 'no_teacher.pth'
    # a process of its own: the trainer's error reaches the terminal,
    # which an in-process run does not capture
    result = run_tool(
        'compare.py',
        '--work-dir-root',
        root,
        KD_CFG,
        *options_args({'model.teacher_ckpt': missing}),
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert 'its error is printed above' in last
    assert 'It saved no checkpoint: fix the cause, then rerun' in last
    assert f'teacher_ckpt {str(missing)!r} does not exist' in result.stderr
