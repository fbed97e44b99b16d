"""No run is scored on images a network it loads has trained on
(mmsamkd/utils/seen_images.py), through train.py and test.py."""

import pytest
import torch
from mmengine.config import Config
from test_cli_errors import assert_one_line_error

from conftest import (
    KD_CFG,
    TEACHER_CFG,
    options_args,
    run_tool_in_process,
)
from mmsamkd.errors import ConfigError
from mmsamkd.utils.seen_images import (
    check_evaluation_unseen,
    check_test_unseen,
    dataset_images,
    describe,
    trained_images,
)

FMNIST = 'LocalFashionMNIST'


def fmnist(split='train', **options):
    return dict(type=FMNIST, split=split, **options)


@pytest.mark.parametrize(
    'dataset, images',
    [
        (fmnist(), [('FashionMNIST', 'train', 0, 60000)]),
        (fmnist(val_size=10000), [('FashionMNIST', 'train', 0, 50000)]),
        (
            fmnist('val', val_size=10000),
            [('FashionMNIST', 'train', 50000, 60000)],
        ),
        (
            fmnist('val', val_size=10000, indices=128),
            [('FashionMNIST', 'train', 50000, 50128)],
        ),
        (
            fmnist(val_size=10000, indices=5000),
            [('FashionMNIST', 'train', 0, 5000)],
        ),
        # indices past the split's end take no image beyond it
        (
            fmnist(val_size=10000, indices=55000),
            [('FashionMNIST', 'train', 0, 50000)],
        ),
        (fmnist('test', val_size=10000), [('FashionMNIST', 'test', 0, 10000)]),
        (
            fmnist('test', indices=[3, 7, 5]),
            [('FashionMNIST', 'test', 3, 8)],
        ),
        (
            dict(type='mmpretrain.FashionMNIST', split='test'),
            [('FashionMNIST', 'test', 0, 10000)],
        ),
        (
            dict(type='LocalCIFAR100', split='test'),
            [('CIFAR100', 'test', 0, None)],
        ),
        (
            dict(type='CIFAR100', split='train', indices=10),
            [('CIFAR100', 'train', 0, 10)],
        ),
        (
            dict(type='RepeatDataset', times=2, dataset=fmnist('test')),
            [('FashionMNIST', 'test', 0, 10000)],
        ),
        (
            dict(type='ConcatDataset', datasets=[fmnist('test'), fmnist()]),
            [
                ('FashionMNIST', 'test', 0, 10000),
                ('FashionMNIST', 'train', 0, 60000),
            ],
        ),
        (dict(type='CustomDataset', data_root='x'), []),  # layout unknown
        # a misspelt split is left to the dataset's own refusal (before:
        # read as the training images, a refusal about them)
        (fmnist('trian'), []),
        (None, []),
    ],
)
def test_the_images_a_dataset_config_reads(dataset, images):
    assert dataset_images(dataset) == images


def test_images_are_described_by_their_positions():
    assert describe(('FashionMNIST', 'train', 50000, 60000)) == (
        'FashionMNIST train images 50000 to 59999'
    )
    assert describe(('CIFAR100', 'test', 0, None)) == "CIFAR100 split 'test'"
    assert describe(('CIFAR100', 'test', 5, None)) == (
        "CIFAR100 split 'test' from image 5 on"
    )


def saved_run(path, train_dataset, **settings):
    """A checkpoint whose meta holds the config of a run that trained on
    ``train_dataset`` (and loaded what ``settings`` name)."""
    settings.setdefault('model', dict(type='ImageClassifier'))
    cfg = Config(
        dict(train_dataloader=dict(dataset=train_dataset), **settings)
    )
    torch.save({'meta': {'cfg': cfg.pretty_text}, 'state_dict': {}}, path)
    return str(path)


def run_evaluating(dataset, **settings):
    return Config(
        dict(
            model=dict(type='SingleTeacherDistill', **settings),
            val_dataloader=dict(dataset=dataset),
            test_dataloader=dict(dataset=fmnist('test')),
        )
    )


VAL = fmnist('val', val_size=10000)


def test_a_teacher_trained_on_the_validation_images_is_refused(tmp_path):
    """A teacher trained on every training image (val_size=0) for a
    student held out the last 10000 as its validation split."""
    teacher = saved_run(tmp_path / 'teacher.pth', fmnist())
    cfg = run_evaluating(VAL, teacher_ckpt=teacher)
    with pytest.raises(ConfigError) as error:
        check_evaluation_unseen(cfg)
    message = str(error.value)
    for fragment in (
        f'model.teacher_ckpt {teacher} was trained on FashionMNIST train '
        'images 0 to 59999',
        'val_dataloader: FashionMNIST train images 50000 to 59999',
        'val_size',
    ):
        assert fragment in message
    # held out as the student holds them out: nothing shared
    saved_run(tmp_path / 'teacher.pth', fmnist(val_size=10000))
    check_evaluation_unseen(cfg)
    # a smaller hold-out leaves some of them in the teacher's training set
    saved_run(tmp_path / 'teacher.pth', fmnist(val_size=9999))
    with pytest.raises(ConfigError, match='images 0 to 50000'):
        check_evaluation_unseen(cfg)
    # on the test split, a teacher of every training image is right
    saved_run(tmp_path / 'teacher.pth', fmnist())
    check_evaluation_unseen(
        run_evaluating(fmnist('test'), teacher_ckpt=teacher)
    )


def test_snapshots_load_from_and_the_chain_behind_them_count(tmp_path):
    seen = saved_run(tmp_path / 'seen.pth', fmnist())
    clean = fmnist(val_size=10000)
    snapshot = saved_run(tmp_path / 'snap.pth', clean)
    cfg = run_evaluating(VAL, teacher_snapshots=[snapshot, seen])
    with pytest.raises(ConfigError, match=r'model.teacher_snapshots\[1\]'):
        check_evaluation_unseen(cfg)
    # load_from (a frozen stage's, or a fine-tune's start)
    cfg = run_evaluating(VAL)
    cfg.load_from = seen
    with pytest.raises(ConfigError, match=f'load_from {seen} was trained'):
        check_evaluation_unseen(cfg)
    cfg.resume = True  # the run's own checkpoint: checked when it began
    check_evaluation_unseen(cfg)
    # a teacher held them out, but its branches began from a network that
    # trained on them (its load_from), which learnt from its own teacher
    grand = saved_run(tmp_path / 'grand.pth', fmnist())
    plain = saved_run(
        tmp_path / 'plain.pth', clean, model=dict(teacher_ckpt=str(grand))
    )
    branches = saved_run(tmp_path / 'branches.pth', clean, load_from=plain)
    cfg = run_evaluating(VAL, teacher_ckpt=branches)
    assert [chain for chain, _ in trained_images(branches)] == [
        (branches,),
        (branches, plain),
        (branches, plain, grand),
    ]
    with pytest.raises(ConfigError) as error:
        check_evaluation_unseen(cfg)
    assert f'learnt, through {plain} and {grand}, from FashionMNIST' in str(
        error.value
    )
    # a chain is followed only through files that are there
    (tmp_path / 'grand.pth').unlink()
    check_evaluation_unseen(cfg)


def test_an_exported_student_leads_back_to_its_teacher(tmp_path):
    """export_student.py writes the student's config (no teacher in it)
    and names the distillation checkpoint it came from."""
    from mmsamkd.student_export import export

    teacher = saved_run(tmp_path / 'teacher.pth', fmnist())
    distilled = Config(
        dict(
            model=dict(
                type='SingleTeacherDistill',
                architecture=dict(type='ImageClassifier'),
                teacher_ckpt=teacher,
            ),
            train_dataloader=dict(dataset=fmnist(val_size=10000)),
        )
    )
    torch.save(
        {
            'meta': {'cfg': distilled.pretty_text},
            'state_dict': {'architecture.w': torch.zeros(1)},
        },
        tmp_path / 'kd.pth',
    )
    student, _ = export(str(tmp_path / 'kd.pth'))
    cfg = run_evaluating(VAL, teacher_ckpt=student)
    with pytest.raises(ConfigError, match=f'through {tmp_path}/kd.pth and'):
        check_evaluation_unseen(cfg)


def test_a_checkpoint_that_names_itself_ends_the_chain(tmp_path):
    """A fine-tune saved over the checkpoint it loaded from names itself
    as its load_from: the chain stops four checkpoints deep."""
    path = str(tmp_path / 'epoch_12.pth')
    saved_run(path, fmnist(val_size=10000), load_from=path)
    assert [chain for chain, _ in trained_images(path)] == [
        (path,) * depth for depth in (1, 2, 3, 4)
    ]


def test_a_checkpoint_without_a_config_is_not_checked(tmp_path):
    torch.save({'state_dict': {}}, tmp_path / 'bare.pth')
    cfg = run_evaluating(VAL, teacher_ckpt=str(tmp_path / 'bare.pth'))
    check_evaluation_unseen(cfg)


def test_test_py_scores_only_images_its_checkpoint_did_not_learn(tmp_path):
    checkpoint = saved_run(tmp_path / 'run.pth', fmnist())
    cfg = Config(dict(test_dataloader=dict(dataset=VAL)))
    with pytest.raises(ConfigError, match='this test scores'):
        check_test_unseen(cfg, checkpoint)
    # its training accuracy, asked for by name
    cfg.test_dataloader.dataset = fmnist(indices=100)
    check_test_unseen(cfg, checkpoint)
    cfg.test_dataloader.dataset = fmnist('test')
    check_test_unseen(cfg, checkpoint)


# The users' path: a teacher trained by the Runner (the tiny shared one:
# the first 256 training images, val_size 10000), the shipped KD config
# with its validation split moved onto those images.
ON_TEACHER_IMAGES = {
    'train_dataloader.dataset.val_size': 59800,
    'val_dataloader.dataset.split': 'val',
    'val_dataloader.dataset.val_size': 59800,
}


def test_train_py_refuses_a_teacher_that_trained_on_the_val_images(
    fmnist_teacher_ckpt, tmp_path
):
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path,
        *options_args(
            dict(
                ON_TEACHER_IMAGES,
                **{'model.teacher_ckpt': fmnist_teacher_ckpt},
            )
        ),
    )
    assert_one_line_error(
        result,
        f'model.teacher_ckpt {fmnist_teacher_ckpt} was trained on '
        'FashionMNIST train images 0 to 255',
        'val_dataloader: FashionMNIST train images 200 to 327',
    )
    assert not list(tmp_path.glob('*.pth'))
    # the shipped validation split (the last 10000) it held out
    cfg = Config.fromfile(KD_CFG)
    cfg.merge_from_dict(
        {
            'model.teacher_ckpt': fmnist_teacher_ckpt,
            'train_dataloader.dataset.val_size': 10000,
            'val_dataloader.dataset.split': 'val',
        }
    )
    check_evaluation_unseen(cfg)


def test_test_py_refuses_to_score_images_the_checkpoint_trained_on(
    fmnist_teacher_ckpt, tmp_path
):
    result = run_tool_in_process(
        'test.py',
        TEACHER_CFG,
        fmnist_teacher_ckpt,
        '--work-dir',
        tmp_path,
        '--cfg-options',
        'test_dataloader.dataset.split=val',
        'test_dataloader.dataset.val_size=59800',
    )
    assert_one_line_error(
        result,
        f'{fmnist_teacher_ckpt} was trained on FashionMNIST train images '
        '0 to 255',
        'test_dataloader: FashionMNIST train images 200 to 59999',
    )
