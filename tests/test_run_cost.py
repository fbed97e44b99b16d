"""What a run cost (time, memory) and the size of what it deploys, as
compare.py tabulates them."""

import json
import os.path as osp
import resource
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from conftest import REPO, STUDENT_CFG, options_args, run_tool_in_process
from mmsamkd.comparison.cost import deployed_size
from mmsamkd.comparison.report import write_table
from mmsamkd.engine.hooks.run_cost_hook import COST_FILE, read_cost


def config(path):
    return Config.fromfile(osp.join(REPO, 'configs', path))


def test_train_py_records_the_cost_and_a_resume_adds_its_launch(
    tmp_path, monkeypatch
):
    from mmengine.runner import EpochBasedTrainLoop

    run_epoch = EpochBasedTrainLoop.run_epoch

    def stopped_in_epoch_2(loop):
        if loop.epoch == 1:
            raise RuntimeError('interrupted')
        run_epoch(loop)

    train = ('train.py', STUDENT_CFG, '--work-dir', tmp_path)
    two_epochs = options_args({'train_cfg.max_epochs': 2})
    started = time.monotonic()
    with monkeypatch.context() as patch:
        patch.setattr(EpochBasedTrainLoop, 'run_epoch', stopped_in_epoch_2)
        result = run_tool_in_process(*train, *two_epochs)
    wall = time.monotonic() - started
    assert 'interrupted' in result.stderr
    first = read_cost(tmp_path)
    # 256 images in batches of 64: epoch 1
    assert first['iterations'] == 4
    assert first['input_shape'] == [1, 28, 28]
    assert 0 < first['train_seconds'] <= first['seconds'] <= wall
    if first['memory'] == 'rss':  # this process's peak so far, in MiB
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert 0.5 * peak < first['peak_mb'] <= peak + 0.05  # rounded to 0.1
    else:
        assert first['memory'] == 'cuda' and first['peak_mb'] > 0

    result = run_tool_in_process(*train, '--resume', *two_epochs)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / COST_FILE) as f:
        launches = json.load(f)['launches']
    assert [launch['iterations'] for launch in launches] == [4, 4]
    both = read_cost(tmp_path)
    assert both['iterations'] == 8
    assert both['seconds'] == pytest.approx(
        sum(launch['seconds'] for launch in launches)
    )
    assert both['seconds_per_iter'] == pytest.approx(both['train_seconds'] / 8)


def test_the_input_shape_is_one_images():
    """SSKD's samples hold their views, (K, C, H, W): one image is the
    last three."""
    from mmsamkd.engine.hooks import RunCostHook

    hook = RunCostHook()
    hook.input_shape = None
    views = {'inputs': [torch.zeros(4, 1, 28, 28), torch.zeros(4, 1, 28, 28)]}
    hook.before_train_iter(None, 0, views)
    assert hook.input_shape == [1, 28, 28]


def test_the_deployed_student_is_the_undistilled_one():
    vanilla = config('vanilla/resnet8-quarter_1xb64_fmnist.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        plain = MODELS.build(vanilla.model)
    parameters = sum(p.numel() for p in plain.parameters())
    size = deployed_size(vanilla, (1, 28, 28))
    assert size[0] == parameters
    for distilled in (
        'kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        # branches, rotations, discriminators and connectors drop out
        'samkd/samkd_resnet14_resnet8-quarter_1xb64_fmnist.py',
        'sskd/sskd_resnet14_resnet8-quarter_1xb64_fmnist.py',
    ):
        assert deployed_size(config(distilled), (1, 28, 28)) == size
    # CRD's table gives resnet8x4 1.23M parameters
    sskd = config('sskd/sskd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    parameters, flops = deployed_size(sskd, (3, 32, 32))
    assert parameters / 1e6 == pytest.approx(1.23, abs=0.005)
    # a bigger image costs more multiply-adds, the same parameters
    bigger = deployed_size(sskd, (3, 64, 64))
    assert bigger[0] == parameters and bigger[1] > 3 * flops
    # for one image: the convolutions' and the classifier's multiply-adds,
    # counted here from their output sizes, plus a little (BN, pooling)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        student = MODELS.build(vanilla.model).eval()
    macs = []

    def count(module, args, out):
        if isinstance(module, torch.nn.Conv2d):
            kernel = module.weight[0].numel()  # in / groups * kh * kw
            macs.append(out.numel() * kernel)
        elif isinstance(module, torch.nn.Linear):
            macs.append(out.numel() * module.in_features)

    for module in student.modules():
        module.register_forward_hook(count)
    with torch.no_grad():
        student(torch.zeros(1, 1, 28, 28))
    assert sum(macs) <= size[1] < 1.1 * sum(macs)


def test_a_runs_cost_columns_come_from_its_launches(tmp_path):
    """Two launches (a resume): times add up, the peak is the larger, the
    size is the deployed student's for the recorded input shape."""
    import json

    from mmsamkd.comparison.cost import run_cost

    launch = dict(
        seconds=100.0,
        train_seconds=80.0,
        iterations=40,
        peak_mb=300.0,
        memory='rss',
        input_shape=[1, 28, 28],
    )
    resumed = dict(launch, seconds=50.0, train_seconds=40.0, peak_mb=350.0)
    (tmp_path / 'run_cost.json').write_text(
        json.dumps({'launches': [launch, resumed]})
    )
    vanilla = config('vanilla/resnet8-quarter_1xb64_fmnist.py')
    parameters, flops = deployed_size(vanilla, (1, 28, 28))
    assert run_cost(str(tmp_path), vanilla) == dict(
        train_seconds=150.0,
        seconds_per_iter=1.5,
        peak_mb=350.0,
        memory='rss',
        parameters=parameters,
        flops=flops,
    )
    assert parameters != flops
    assert set(run_cost(str(tmp_path / 'none'), vanilla).values()) == {None}


def row(config_name, **cost):
    empty = dict(
        train_seconds=None,
        seconds_per_iter=None,
        peak_mb=None,
        memory=None,
        parameters=None,
        flops=None,
    )
    return dict(
        config=config_name,
        method='kd',
        dataset='d',
        evaluation='e',
        schedule='s',
        seed=0,
        code='0.1.0+0123456789ab',
        best=80.0,
        last=79.5,
        teacher=None,
        steps=12,
        **dict(empty, **cost),
    )


def test_the_table_shows_each_runs_cost(tmp_path):
    rows = [
        row(
            'kd',
            train_seconds=135.4,
            seconds_per_iter=0.1234,
            peak_mb=900.4,
            memory='rss',
            parameters=5142,
            flops=639120,
        ),
        row('old'),  # trained before run_cost.json: blank, not zero
    ]
    lines = write_table(rows, tmp_path, 'top1').splitlines()
    cost = '| train time | s/iter | peak RSS MiB | params (M) | MFLOPs |'
    assert cost in lines[0]
    assert '| 0:02:15 | 0.123 | 900 | 0.005 | 0.6 |' in lines[2]
    assert '| 12 |  |  |  |  |  |' in lines[3]
    csv_text = (tmp_path / 'results.csv').read_text()
    assert 'peak RSS MiB' in csv_text and ',0:02:15,0.123,900,' in csv_text
