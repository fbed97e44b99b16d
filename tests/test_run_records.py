"""A run record names the files a run started from, so that a student
distilled from a teacher that was retrained since is not reused as if it
had learnt from the new one."""

import copy
import json
import os
import re

import pytest
from mmengine.config import Config

from mmsamkd.utils.checkpoint_files import sha256_of
from mmsamkd.utils.run_results import (
    changed_inputs,
    config_digest,
    describe_evaluation,
    describe_schedule,
    is_finished,
    read_val_history,
    record_mismatch,
    run_record,
    write_record,
)


def _cfg(teacher, **extra):
    return Config(
        dict(
            model=dict(type='KD', teacher_ckpt=str(teacher)),
            randomness=dict(seed=0),
            train_cfg=dict(max_epochs=2),
            **extra,
        )
    )


def test_a_replaced_teacher_checkpoint_is_named(tmp_path):
    teacher = tmp_path / 'epoch_2.pth'
    teacher.write_bytes(b'teacher, first training')
    cfg = _cfg(teacher)
    record = run_record(cfg)
    assert record['inputs'] == {'teacher_ckpt': sha256_of(str(teacher))}
    assert record_mismatch(record, cfg) is None

    teacher.write_bytes(b'teacher, trained again')
    mismatch = record_mismatch(record, cfg)
    assert mismatch == (
        'its teacher_ckpt has changed since it was trained (retrained or '
        'replaced)'
    )
    # under another root the same teacher is the same input
    moved = tmp_path / 'other_root.pth'
    moved.write_bytes(b'teacher, first training')
    assert record_mismatch(record, _cfg(moved)) is None


def test_what_is_not_an_input_is_not_checked(tmp_path):
    teacher = tmp_path / 'epoch_2.pth'
    teacher.write_bytes(b'teacher')
    start = tmp_path / 'start.pth'
    start.write_bytes(b'pretrained')
    cfg = _cfg(teacher, load_from=str(start))
    record = run_record(cfg)
    assert set(record['inputs']) == {'teacher_ckpt', 'load_from'}
    # a resumed run loads its own checkpoint: not the run's input
    own = tmp_path / 'epoch_1.pth'
    own.write_bytes(b'half-trained student')
    resumed = _cfg(teacher, load_from=str(own), resume=True)
    assert record_mismatch(record, resumed) is None
    # a missing file cannot be compared; a record made before input
    # digests is checked on its config alone
    teacher.unlink()
    assert changed_inputs(record, cfg) == []
    teacher.write_bytes(b'another teacher')
    assert changed_inputs(dict(record, inputs=None), cfg) == []
    assert changed_inputs(record, cfg) != []
    # settings and inputs both named when both differ
    other = _cfg(teacher, load_from=str(start))
    other.randomness.seed = 1
    assert record_mismatch(record, other).startswith('seed 0 vs 1; its ')


def test_snapshots_are_inputs_one_by_one(tmp_path):
    paths = []
    for epoch in (1, 2):
        path = tmp_path / f'epoch_{epoch}.pth'
        path.write_bytes(f'snapshot {epoch}'.encode())
        paths.append(str(path))
    cfg = _cfg(paths[0])
    cfg.model.teacher_snapshots = paths
    record = run_record(cfg)
    (tmp_path / 'epoch_2.pth').write_bytes(b'snapshot 2, retrained')
    assert changed_inputs(record, cfg) == [
        'its teacher_snapshots[1] has changed since it was trained '
        '(retrained or replaced)'
    ]


def _tiny_imagenet_cfg(root, teacher):
    return _cfg(
        teacher,
        train_dataloader=dict(
            dataset=dict(type='TinyImageNet', data_root=str(root))
        ),
        val_dataloader=dict(
            dataset=dict(type='TinyImageNet', data_root=str(root), split='val')
        ),
    )


def test_a_data_folder_that_holds_other_files_is_named(tmp_path):
    """Before, a run on a trial copy of Tiny-ImageNet was reused (by
    compare.py, as it reuses the run of a record) after the full data
    was put in its place, and reported as a run on it."""
    from mmsamkd.comparison.runs import check_reusable
    from mmsamkd.errors import MmsamkdError

    root = tmp_path / 'tiny-imagenet-200'
    images = root / 'train' / 'n01' / 'images'
    images.mkdir(parents=True)
    (images / 'n01_0.JPEG').write_bytes(b'jpeg')
    (root / 'wnids.txt').write_text('n01\n')
    cfg = _tiny_imagenet_cfg(root, tmp_path / 'no_teacher.pth')
    record = run_record(cfg)
    # one folder for both loaders, named once
    assert list(record['inputs']) == ['train_dataloader.dataset.data_root']
    run = tmp_path / 'run'
    write_record(str(run), record)
    check_reusable('kd.py', str(run), cfg, 'accuracy/top1')
    # a copy of the data has new file times, not other data
    os.utime(images / 'n01_0.JPEG', (0, 0))
    assert record_mismatch(record, cfg) is None

    changed = [
        'its train_dataloader.dataset.data_root has changed since it was '
        'trained (files added, removed or of another size)'
    ]
    (images / 'n01_1.JPEG').write_bytes(b'jpeg')  # the full data
    assert changed_inputs(record, cfg) == changed
    with pytest.raises(MmsamkdError, match=re.escape(changed[0])):
        check_reusable('kd.py', str(run), cfg, 'accuracy/top1')
    (images / 'n01_1.JPEG').unlink()
    (images / 'n01_0.JPEG').write_bytes(b'a larger jpeg')  # replaced
    assert changed_inputs(record, cfg) == changed
    (images / 'n01_0.JPEG').write_bytes(b'jpeg')
    (images / 'n01_0.JPEG').rename(images / 'n01_9.JPEG')  # renamed
    assert changed_inputs(record, cfg) == changed


def test_only_data_folders_that_exist_and_go_unchecked_are_inputs(tmp_path):
    from mmsamkd.utils.data_files import data_roots, folder_fingerprint

    first, second = tmp_path / 'a', tmp_path / 'b'
    for folder in (first, second):
        folder.mkdir()
    concat = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[
                        dict(type='TinyImageNet', data_root=str(first)),
                        dict(type='TinyImageNet', data_root=str(second)),
                        dict(type='TinyImageNet', data_root=str(first)),
                    ],
                )
            )
        )
    )
    (first / 'n01_0.JPEG').write_bytes(b'jpeg')
    alone = folder_fingerprint(str(first))
    (first / 'loop').symlink_to(first)  # walked once, not round and round
    assert folder_fingerprint(str(first)) == alone
    assert data_roots(concat) == {
        'train_dataloader.dataset.data_root': str(first),
        'train_dataloader.dataset.data_root[1]': str(second),
    }
    apart = _tiny_imagenet_cfg(first, 'no.pth')
    apart.val_dataloader.dataset.data_root = str(second)
    assert data_roots(apart) == {
        'train_dataloader.dataset.data_root': str(first),
        'val_dataloader.dataset.data_root': str(second),
    }
    # Fashion-MNIST and CIFAR check their files against the published
    # checksums at each read; a folder that is not there is no input
    for kind in ('LocalFashionMNIST', 'LocalCIFAR100', 'TinyImageNet', 'Mine'):
        cfg = _tiny_imagenet_cfg(tmp_path / 'absent', 'no.pth')
        cfg.train_dataloader.dataset.type = kind
        cfg.val_dataloader.dataset.type = kind
        cfg.train_dataloader.dataset.data_root = str(first)
        assert list(data_roots(cfg)) == (
            ['train_dataloader.dataset.data_root']
            if kind in ('TinyImageNet', 'Mine')  # 'Mine': registered nowhere
            else []
        )


def test_a_run_of_another_config_is_named_by_its_config():
    """Before: "a run of other settings (other settings)" when the two
    configs differed in nothing the record describes."""
    from conftest import KD_CFG, STUDENT_CFG

    record = run_record(Config.fromfile(STUDENT_CFG))
    mismatch = record_mismatch(record, Config.fromfile(KD_CFG))
    assert mismatch.startswith(
        'config resnet8-quarter_1xb64_fmnist.py vs '
        'kd_resnet14_resnet8-quarter_1xb64_fmnist.py'
    )
    same = Config.fromfile(STUDENT_CFG)
    same.model.head.loss.loss_weight = 0.5
    assert record_mismatch(record, same) == 'other values in the same config'


def test_a_record_names_the_data_each_validation_scores():
    """Before, a run evaluated on the validation split and one evaluated
    on the test split were told apart only as "other values"."""
    from conftest import REPO, STUDENT_CFG

    student = Config.fromfile(STUDENT_CFG)
    assert describe_evaluation(student) == 'LocalFashionMNIST test'
    on_val = Config.fromfile(STUDENT_CFG)
    on_val.merge_from_dict(
        {
            'val_dataloader.dataset.split': 'val',
            'val_dataloader.dataset.indices': 128,
        }
    )
    # a split carved from the training images says how many it holds
    assert (
        describe_evaluation(on_val) == 'LocalFashionMNIST val[:128] of 10000'
    )
    mismatch = record_mismatch(run_record(student), on_val)
    assert mismatch == (
        'evaluation LocalFashionMNIST test vs '
        'LocalFashionMNIST val[:128] of 10000'
    )
    # the shipped datasets' own evaluation splits; a list of indices
    for config, named in (
        ('kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py', 'LocalCIFAR100 test'),
        (
            'kd/kd_resnet32x4_resnet8x4_1xb64_tinyimagenet.py',
            'TinyImageNet val',
        ),
    ):
        cfg = Config.fromfile(f'{REPO}/configs/{config}')
        assert describe_evaluation(cfg) == named
    listed = Config(dict(val_dataloader=dict(dataset=dict(indices=[4, 2]))))
    assert describe_evaluation(listed) == '?[2 images]'


def _launch(work_dir, timestamp, *records):
    """A launch's scalars.json, as MMEngine's LocalVisBackend writes it."""
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    lines = [json.dumps(r) for r in records]
    (folder / 'scalars.json').write_text('\n'.join(lines) + '\n')


def test_the_history_is_this_runs_validations_later_launches_winning(
    tmp_path,
):
    """What compare.py reports and reuses: an earlier run in the same dir
    (before the record's ``since``) is not this run's, a resumed launch
    overrides a step it repeats, and training records are not validations.
    """
    top1 = 'accuracy/top1'
    _launch(
        tmp_path,
        '20261201_090000',
        {'step': 1, top1: 10.0},
        {'step': 3, top1: 30.0},
    )
    _launch(
        tmp_path,
        '20261202_100000',
        {'step': 1, top1: 50.0},
        {'step': 1, 'loss': 0.7},
        {'step': 2, top1: 55.0},
    )
    _launch(tmp_path, '20261202_110000', {'step': 2, top1: 60.0})
    write_record(str(tmp_path), dict(since='20261202_100000'))
    history = read_val_history(str(tmp_path), top1)
    assert {s: r[top1] for s, r in history.items()} == {1: 50.0, 2: 60.0}
    two_epochs = Config(dict(train_cfg=dict(max_epochs=2)))
    three_epochs = Config(dict(train_cfg=dict(max_epochs=3)))
    assert is_finished(str(tmp_path), two_epochs, top1)
    assert not is_finished(str(tmp_path), three_epochs, top1)
    # iteration-based schedules count iterations
    by_iter = Config(dict(train_cfg=dict(by_epoch=False, max_iters=2)))
    assert is_finished(str(tmp_path), by_iter, top1)
    by_iter.train_cfg.max_iters = 3
    assert not is_finished(str(tmp_path), by_iter, top1)
    one_epoch = Config(dict(train_cfg=dict(max_epochs=1)))
    assert not is_finished(str(tmp_path / 'none'), one_epoch, top1)
    # without a record every launch counts
    (tmp_path / 'run_config.json').unlink()
    history = read_val_history(str(tmp_path), top1)
    assert {s: r[top1] for s, r in history.items()} == {
        1: 50.0,
        2: 60.0,
        3: 30.0,
    }


def test_schedules_are_described_by_their_length_and_lr():
    def described(train_cfg, optim_wrapper):
        return describe_schedule(
            Config(dict(train_cfg=train_cfg, optim_wrapper=optim_wrapper))
        )

    sgd = dict(optimizer=dict(type='SGD', lr=0.05))
    assert described(dict(max_epochs=12), sgd) == '12 epochs, lr 0.05'
    assert described(dict(max_iters=900), sgd) == '900 iters, lr 0.05'
    # SAMKD's wrappers: the student side's optimizer
    samkd = dict(architecture=sgd, adversary=dict(optimizer=dict(lr=2e-4)))
    assert described(dict(max_epochs=3), samkd) == '3 epochs, lr 0.05'
    assert described(dict(max_epochs=3), {}) == '3 epochs'


def test_the_digest_ignores_key_order_and_places_only():
    a = Config(dict(model=dict(type='KD', tau=4), work_dir='a'))
    b = Config(dict(work_dir='b', model=dict(tau=4, type='KD')))
    assert config_digest(a) == config_digest(b)
    a.model.teacher_ckpt = 'root1/teacher/epoch_2.pth'
    b.model.teacher_ckpt = 'root2/teacher/epoch_2.pth'
    assert config_digest(a) == config_digest(b)
    b.model.tau = 2
    assert config_digest(a) != config_digest(b)


def test_the_same_config_on_more_processes_is_another_run(monkeypatch):
    """A step's batch is processes times the config's batch_size; a run
    of other steps is another run, whatever its config."""
    from conftest import STUDENT_CFG
    from mmsamkd.utils.distributed import launch_world_size

    cfg = Config.fromfile(STUDENT_CFG)
    two = run_record(cfg, processes=2)
    assert (run_record(cfg)['batch'], two['batch']) == ('1xb64', '2xb64')
    assert record_mismatch(two, cfg) == 'batch 2xb64 vs 1xb64'
    assert record_mismatch(two, cfg, processes=2) is None
    assert record_mismatch(two, cfg, processes=None) is None  # as trained
    # named beside the config's other differences
    seeded = Config.fromfile(STUDENT_CFG)
    seeded.merge_from_dict({'randomness.seed': 1})
    assert record_mismatch(two, seeded) == 'seed 0 vs 1; batch 2xb64 vs 1xb64'
    # records from before batches were named
    old = {k: v for k, v in two.items() if k != 'batch'}
    assert record_mismatch(old, cfg) is None
    # the number of processes, as each launcher sets it
    for name in ('WORLD_SIZE', 'SLURM_NTASKS', 'OMPI_COMM_WORLD_SIZE'):
        monkeypatch.delenv(name, raising=False)
    assert launch_world_size('pytorch') == 1
    monkeypatch.setenv('WORLD_SIZE', '4')
    monkeypatch.setenv('SLURM_NTASKS', '8')
    monkeypatch.setenv('OMPI_COMM_WORLD_SIZE', '3')
    assert [
        launch_world_size(launcher)
        for launcher in ('pytorch', 'slurm', 'mpi', 'none')
    ] == [4, 8, 3, 1]  # a plain run inside an allocation is one process


def test_a_run_of_other_code_is_another_run(tmp_path):
    """A run trained before mmsamkd's code changed (an upgrade, a fixed
    loss) is not a run of the code installed now: compare.py reprinted
    it, rc 0."""
    import shutil

    import mmsamkd
    from mmsamkd.utils.run_results import package_code, training_code

    installed = os.path.dirname(mmsamkd.__file__)
    copy = tmp_path / 'mmsamkd'
    shutil.copytree(
        installed, copy, ignore=shutil.ignore_patterns('__pycache__')
    )
    assert package_code(str(copy)) == training_code()
    assert training_code().startswith(mmsamkd.__version__ + '+')
    # what only reads finished runs does not change a trained number
    with open(copy / 'comparison' / 'report.py', 'a') as f:
        f.write('# the table, reworded\n')
    assert package_code(str(copy)) == training_code()
    # any other file may: a loss, a transform, a hook; or a renamed file
    for change in ('append', 'rename'):
        changed = tmp_path / change / 'mmsamkd'
        shutil.copytree(copy, changed)
        loss = changed / 'models' / 'losses' / 'kl_divergence.py'
        if change == 'append':
            with open(loss, 'a') as f:
                f.write('# a fix\n')
        else:
            loss.rename(loss.with_name('kl_div.py'))
        assert package_code(str(changed)) != training_code()

    from conftest import STUDENT_CFG

    cfg = Config.fromfile(STUDENT_CFG)
    record = run_record(cfg)
    assert record['code'] == training_code()
    assert record_mismatch(record, cfg) is None
    older = dict(record, code='0.1.0+000000000000')
    expected = f'mmsamkd code 0.1.0+000000000000 vs {training_code()}'
    assert record_mismatch(older, cfg) == expected
    assert record_mismatch(older, cfg, processes=None) is None  # as trained
    # a record from before code was named: written by older code
    unnamed = {k: v for k, v in record.items() if k != 'code'}
    assert record_mismatch(unnamed, cfg).startswith('mmsamkd code not reco')
    # named after the config's other differences
    seeded = Config.fromfile(STUDENT_CFG)
    seeded.merge_from_dict({'randomness.seed': 1})
    assert record_mismatch(older, seeded) == f'seed 0 vs 1; {expected}'


@pytest.mark.slow
def test_test_py_in_the_training_dir_keeps_its_config_copy(
    fmnist_teacher_ckpt, tmp_path
):
    """``tools/test.py``'s default work dir is the training run's. Before,
    the Runner dumped the test's config (another ``load_from``, the test
    overrides) over the copy that says what was trained."""
    import shutil

    from conftest import TEACHER_CFG, options_args, run_tool_in_process

    run = tmp_path / 'teacher'
    shutil.copytree(os.path.dirname(fmnist_teacher_ckpt), run)
    copy = run / os.path.basename(TEACHER_CFG)
    trained = copy.read_bytes()
    result = run_tool_in_process(
        'test.py',
        TEACHER_CFG,
        run / 'epoch_1.pth',
        '--work-dir',
        run,
        *options_args({'test_dataloader.dataset.indices': 16}),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert copy.read_bytes() == trained
    # the test's own config is kept with its log
    (tested,) = [
        p
        for p in run.glob('*/vis_data/config.py')
        if 'indices=16' in p.read_text()
    ]
    assert "load_from = '" in tested.read_text()


def test_auto_scale_lr_is_named_with_its_factor(tmp_path):
    """Before: ``auto_scale_lr.enable=True`` with ``base_batch_size=32``
    trained at lr 0.1, and the table said ``lr 0.05 → 0.1``, as if the
    rate had risen. The factor is MMEngine's: one run's logged rate."""
    from conftest import STUDENT_CFG, options_args, run_tool_in_process
    from mmsamkd.comparison.report import scaled_lr_note
    from mmsamkd.utils.run_results import lr_scale, read_last_lr

    cfg = Config.fromfile(STUDENT_CFG)
    assert lr_scale(cfg, 4) == 1.0  # not enabled
    cfg.merge_from_dict(
        {'auto_scale_lr': dict(enable=True, base_batch_size=32)}
    )
    assert (lr_scale(cfg, 1), lr_scale(cfg, 3)) == (2.0, 6.0)
    assert run_record(cfg, processes=3)['lr_scale'] == 6.0
    assert scaled_lr_note({'lr_scale': 6.0}) == 'lr ×6 by auto_scale_lr'
    assert scaled_lr_note({'lr_scale': 1.0}) == scaled_lr_note({}) == ''

    options = {
        'auto_scale_lr.enable': True,
        'auto_scale_lr.base_batch_size': 128,
        'train_dataloader.dataset.indices': 64,
        'param_scheduler': [],  # the rate the first step takes, kept
    }
    result = run_tool_in_process(
        'train.py', STUDENT_CFG, '--work-dir', tmp_path, *options_args(options)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / 'run_config.json').read_text())
    assert record['schedule'].endswith(', lr 0.05')  # the config's
    assert record['lr_scale'] == 0.5
    assert read_last_lr(str(tmp_path)) == pytest.approx(0.05 * 0.5)


def test_a_checkpoint_past_the_end_of_a_run_is_told():
    from mmsamkd.comparison.runs import why_not_kept

    epochs = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=2)))
    assert why_not_kept(epochs, 'epoch_4.pth') == 'trains only 2 epochs'
    assert why_not_kept(epochs, 'epoch_3.pth') == 'trains only 2 epochs'
    # MMEngine's default hook (interval 1, all kept)
    assert why_not_kept(epochs, 'epoch_1.pth') is None
    assert why_not_kept(epochs, 'epoch_2.pth') is None
    # what it counts in another unit, or not at all, it cannot tell
    for name in (
        'iter_400.pth',
        'best_accuracy_top1_epoch_4.pth',
        'epoch_last.pth',
        'epoch_4.pth.sha256',
        'epoch_40000',
    ):
        assert why_not_kept(epochs, name) is None, name
    iters = Config(
        dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=300))
    )
    assert why_not_kept(iters, 'iter_400.pth') == 'trains only 300 iterations'
    assert why_not_kept(iters, 'iter_300.pth') is None
    assert why_not_kept(iters, 'epoch_4.pth') is None


def test_a_checkpoint_the_hook_does_not_keep_is_told():
    """As MMEngine's CheckpointHook saves (every ``interval`` steps from
    ``save_begin``, and the last) and removes (all but the newest
    ``max_keep_ckpts``): worked by hand for 12 epochs."""
    from mmsamkd.comparison.runs import (
        saved_steps,
        validated_steps,
        why_not_kept,
    )

    def run(**hook):
        return Config(
            dict(
                train_cfg=dict(by_epoch=True, max_epochs=12),
                default_hooks=dict(
                    checkpoint=dict(dict(type='CheckpointHook'), **hook)
                ),
            )
        )

    assert saved_steps(run(interval=4)) == [4, 8, 12]
    assert saved_steps(run(interval=5)) == [5, 10, 12]
    assert saved_steps(run(interval=5, save_last=False)) == [5, 10]
    assert saved_steps(run(interval=4, save_begin=3)) == [3, 7, 11, 12]
    assert saved_steps(run(interval=-1)) == [12]
    assert saved_steps(run(interval=1))[:3] == [1, 2, 3]
    # MMEngine's defaults (interval=-1) and interval=0: the last only
    assert saved_steps(run()) == [12]
    assert saved_steps(run(interval=0)) == [12]
    no_hook = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=12),
            default_hooks=dict(checkpoint=None),
        )
    )
    assert saved_steps(no_hook) == []
    assert saved_steps(run(interval=1, type='mmrazor.OtherHook')) is None

    snapshots = run(interval=4, max_keep_ckpts=-1)
    for name in ('epoch_4.pth', 'epoch_8.pth', 'epoch_12.pth'):
        assert why_not_kept(snapshots, name) is None
    assert why_not_kept(run(interval=5), 'epoch_4.pth') == (
        'does not save it at its checkpoint interval '
        '(default_hooks.checkpoint: interval=5; it saves epoch_5.pth, '
        'epoch_10.pth, epoch_12.pth)'
    )
    assert 'it saves epoch_1.pth, ..., epoch_11.pth' in why_not_kept(
        run(interval=2, save_begin=1, save_last=False), 'epoch_12.pth'
    )
    assert 'it saves none' in why_not_kept(no_hook, 'epoch_4.pth')
    assert why_not_kept(run(interval=4, max_keep_ckpts=2), 'epoch_4.pth') == (
        'removes it (default_hooks.checkpoint.max_keep_ckpts=2 keeps '
        'epoch_8.pth, epoch_12.pth)'
    )
    assert why_not_kept(run(interval=4, max_keep_ckpts=1), 'epoch_8.pth') == (
        'removes it (default_hooks.checkpoint.max_keep_ckpts=1 keeps '
        'epoch_12.pth)'
    )
    # three names in full, four abbreviated
    assert 'it saves epoch_4.pth, epoch_8.pth, epoch_12.pth)' in why_not_kept(
        run(interval=4), 'epoch_5.pth'
    )
    assert 'it saves epoch_3.pth, ..., epoch_12.pth)' in why_not_kept(
        run(interval=3), 'epoch_4.pth'
    )
    assert why_not_kept(run(interval=4, max_keep_ckpts=2), 'epoch_8.pth') is (
        None
    )
    # MMEngine also saves the step of a validation that sets a new best
    # (after its first save), and those saves count against max_keep_ckpts
    validated = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=12, val_interval=3),
            val_cfg=dict(),
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook',
                    interval=4,
                    max_keep_ckpts=3,
                    save_best='auto',
                )
            ),
        )
    )
    assert why_not_kept(validated, 'epoch_4.pth') == (
        'may remove it (default_hooks.checkpoint.max_keep_ckpts=3 keeps the '
        'newest 3 of epoch_4.pth, epoch_8.pth, epoch_12.pth and of '
        'epoch_6.pth, epoch_9.pth, which it saves where a validation sets a '
        'new best)'
    )
    assert why_not_kept(validated, 'epoch_8.pth') is None  # 9 and 12 after
    fourth = copy.deepcopy(validated)  # 6, 8, 9, 12 after 4
    fourth.merge_from_dict({'default_hooks.checkpoint.max_keep_ckpts': 4})
    assert why_not_kept(fourth, 'epoch_4.pth').startswith('may remove it')
    # MMEngine's loop: every val_interval from val_begin, and the last
    assert validated_steps(validated) == [3, 6, 9, 12]
    assert validated_steps(
        Config(dict(validated, train_cfg=dict(max_epochs=12, val_interval=5)))
    ) == [5, 10, 12]
    assert validated_steps(
        Config(dict(validated, train_cfg=dict(max_epochs=5, val_begin=3)))
    ) == [3, 4, 5]
    assert validated_steps(
        Config(dict(validated, train_cfg=dict(max_epochs=3)))
    ) == [1, 2, 3]
    for other in (
        {'default_hooks.checkpoint.max_keep_ckpts': 5},  # 6, 8, 9, 12 after
        {'default_hooks.checkpoint.save_best': None},
        {'train_cfg.val_interval': 4},  # validations on the saved epochs
        {'val_cfg': None},
    ):
        changed = copy.deepcopy(validated)
        changed.merge_from_dict(other)
        assert why_not_kept(changed, 'epoch_4.pth') is None, other
    # epoch 3 validates before the first save: nothing to rewrite yet
    assert 'of epoch_6.pth, epoch_9.pth,' in why_not_kept(
        validated, 'epoch_4.pth'
    )
