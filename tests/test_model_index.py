"""OpenMMLab's model index (metafile.yml per method, model-index.yml)."""

import glob
import os.path as osp
import subprocess
import sys

import yaml

from conftest import REPO


def test_the_index_is_what_the_configs_and_results_give():
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'model_index.py'), '--check'],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_method_config_is_listed_and_every_listed_one_exists():
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    listed = set()
    for metafile in index['Import']:
        meta = yaml.safe_load(open(osp.join(REPO, metafile)))
        folder = osp.dirname(metafile)
        for model in meta['Models']:
            assert osp.isfile(osp.join(REPO, model['Config'])), model
            listed.add(model['Config'])
        shipped = {
            osp.relpath(p, REPO)
            for p in glob.glob(osp.join(REPO, folder, '*.py'))
        }
        assert shipped <= listed, sorted(shipped - listed)


def test_the_benchmark_configs_carry_their_measured_result():
    meta = yaml.safe_load(
        open(osp.join(REPO, 'configs', 'samkd', 'metafile.yml'))
    )
    (model,) = [
        m
        for m in meta['Models']
        if m['Name'] == 'samkd_resnet14_resnet8-quarter_1xb64_fmnist'
    ]
    metrics = model['Results'][0]['Metrics']
    # the mean of the CSV's three test seeds (80.67, 81.62, 81.59)
    assert metrics['Top 1 Accuracy'] == 81.29
