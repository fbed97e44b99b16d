"""The README's main job, on a tiny schedule, from an empty work folder."""

import csv
import os.path as osp
import re
import shlex

import pytest

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow


def readme_main_job_args():
    """What the README's first command hands to compare.py."""
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    # the command, with its continuation lines (a trailing backslash)
    command = re.search(
        r'^bash tools/setup_env\.sh && .*compare\.py(?:.*\\\n)*.*$',
        text,
        re.M,
    )
    assert command, 'README lost its main-job command'
    words = shlex.split(command.group(0).replace('\\\n', ' '))
    return words[words.index('tools/compare.py') + 1 :]


def split_options(args):
    """``(options, configs)``: compare.py's ``--name value`` pairs apart."""
    options, configs = [], []
    words = iter(args)
    for word in words:
        if word.startswith('--'):
            options += [word, next(words)]
        else:
            configs.append(word)
    return options, configs


def test_readme_main_job_trains_samkd_and_baselines(tmp_path):
    options, configs = split_options(readme_main_job_args())
    methods = {osp.basename(osp.dirname(c)) for c in configs}
    assert {'vanilla', 'kd', 'hsakd', 'samkd'} <= methods
    # Run where a user would, from the configs' own default paths: each
    # run finds its teacher where the previous one left it (compare.py
    # follows them to the final checkpoint of a 3-epoch schedule, whose
    # last epoch trains SAMKD's first discriminator; that the paths name
    # the shipped schedule's final checkpoint is test_configs.py's).
    result = run_tool(
        'compare.py',
        *options,
        *(osp.join(REPO, c) for c in configs),
        '--cfg-options',
        'train_cfg.max_epochs=3',
        'train_dataloader.dataset.indices=32',
        'train_dataloader.batch_size=16',
        'val_dataloader.dataset.indices=16',
        'test_dataloader.dataset.indices=16',
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / 'work_dirs' / 'compare'
    samkd = next(c for c in configs if '/samkd/' in c)
    run = tmp_path / 'work_dirs' / osp.splitext(osp.basename(samkd))[0]
    assert 'adv.loss_d_feat0' in next(run.glob('*/*.log')).read_text()
    table = (out / 'results.md').read_text()
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        assert f'| {name} |' in table
    assert table in result.stdout
    # accuracy, cost and transfer for every method, in report.html too
    with open(out / 'results.csv', newline='') as f:
        rows = {row['method']: row for row in csv.DictReader(f)}
    report = (out / 'report.html').read_text()
    for column in next(iter(rows.values())):
        assert f'<th>{column}</th>' in report, column
    for method, row in rows.items():
        assert row['train time'] and row['params (M)'] and row['ECE %']
        taught = method in ('kd', 'hsakd', 'samkd')
        assert bool(row['agree %']) == taught, method
