"""A run record names the files a run started from, so that a student
distilled from a teacher that was retrained since is not reused as if it
had learnt from the new one."""

from mmengine.config import Config

from mmsamkd.utils.checkpoint_files import sha256_of
from mmsamkd.utils.run_results import (
    changed_inputs,
    record_mismatch,
    run_record,
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
