"""Each patch in mmsamkd.compat: the symptom without it, the fix with it.

The "without" tests run in fresh interpreters that never import mmsamkd. If
one starts failing, upstream fixed the problem: drop the patch it names.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from conftest import free_port
from mmsamkd import compat


def run_python(code, timeout=300):
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ----------------------------------------------------------- patch 1
def test_mmrazor_models_fails_to_import_without_patch():
    result = run_python('import mmrazor.models')
    assert result.returncode != 0, (
        'mmrazor.models imports on this torch without mmsamkd: drop '
        'compat patch 1 (backend_config stub)'
    )
    assert 'torch>=1.13' in result.stderr


def test_mmrazor_models_imports_with_patch():
    result = run_python("""
        import mmsamkd
        import mmrazor.models
        from mmrazor.registry import MODELS
        assert MODELS.get('SingleTeacherDistill') is not None
        from mmrazor.structures.quantization import BackendConfigs
        try:
            BackendConfigs['native']
        except RuntimeError as error:
            print(error)
        """)
    assert result.returncode == 0, result.stderr
    assert "quantization backend 'native' is unavailable" in result.stdout


def test_the_stub_names_the_backend_asked_for():
    get_config = compat._unavailable('get_openvino_backend_config_dict')
    with pytest.raises(RuntimeError, match="backend 'openvino' is unavaila"):
        get_config()


def test_a_torch_without_the_quantization_modules_gets_the_stub(
    monkeypatch,
):
    """The probe on a torch that dropped a module mmrazor's backend
    configs import (this one still has them, but not all their names)."""

    def gone(name):
        raise ImportError(f'No module named {name!r}')

    monkeypatch.setattr(compat.importlib, 'import_module', gone)
    assert compat.torch_ao_quantization_reference_available() is False


def test_patches_are_idempotent():
    compat.apply_all()
    import mmengine.dist.utils as dist_utils

    init_dist = dist_utils._init_dist_pytorch
    compat.apply_all()
    assert dist_utils._init_dist_pytorch is init_dist  # not wrapped twice


# ----------------------------------------------------------- patch 2
@pytest.fixture
def training_state_ckpt(tmp_path):
    """A checkpoint holding what mmengine stores beside the tensors."""
    from mmengine.logging import HistoryBuffer

    path = tmp_path / 'state.pth'
    history = HistoryBuffer()
    history.update(0.5)
    torch.save(
        {
            'state_dict': {'w': torch.arange(3.0)},
            'message_hub': {'log_scalars': {'train/loss': history}},
        },
        path,
    )
    return str(path)


def test_the_pickle_probe_knows_this_torch():
    """torch 2.6 made ``weights_only=True`` the default of ``torch.load``;
    the probe that decides the test below must say so."""
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    assert compat.torch_load_refuses_pickles() == ((major, minor) >= (2, 6))


@pytest.mark.skipif(
    not compat.torch_load_refuses_pickles(),
    reason='this torch loads pickled objects by default: no breakage',
)
def test_mmengine_loader_fails_on_training_state_without_patch(
    training_state_ckpt,
):
    from mmengine.runner.checkpoint import load_from_local

    with pytest.raises(Exception, match='[Ww]eights.only'):
        load_from_local(training_state_ckpt, map_location='cpu')


def test_mmengine_loads_training_state_with_patch(training_state_ckpt):
    from mmengine.runner.checkpoint import _load_checkpoint

    ckpt = _load_checkpoint(training_state_ckpt, map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.0))
    history = ckpt['message_hub']['log_scalars']['train/loss']
    assert history.current() == 0.5


@pytest.fixture
def weights_only_calls(monkeypatch):
    """The ``weights_only`` argument of each ``torch.load`` call."""
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    return calls


def test_tensor_only_checkpoint_takes_safe_path(tmp_path, weights_only_calls):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}}, path)
    ckpt = compat.load_from_trusted_local(str(path))
    assert weights_only_calls == [True]
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))


def test_a_truncated_checkpoint_is_named_not_loaded_unsafely(
    tmp_path, weights_only_calls
):
    """Only a file the safe load refuses for holding more than tensors is
    loaded again with ``weights_only=False``; a truncated one (here without
    the ``.sha256`` that would catch it first) is named in one line."""
    from mmsamkd.errors import CheckpointError

    path = tmp_path / 'epoch_2.pth'
    torch.save({'state_dict': {'w': torch.ones(64)}}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match='epoch_2.pth cannot be read'):
        compat.load_from_trusted_local(str(path))
    assert weights_only_calls == [True]


def test_missing_checkpoint_names_path(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        compat.load_from_trusted_local(missing)


# ----------------------------------------------------------- patch 3
DIST_SCRIPT = """
    import os
    os.environ.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                      MASTER_ADDR='127.0.0.1', MASTER_PORT='{port}')
    {import_mmsamkd}
    import torch
    import torch.distributed as dist
    from mmengine.dist import init_dist
    from mmengine.model import MMDistributedDataParallel
    try:
        init_dist('pytorch', backend='nccl')
    except Exception as error:
        print('init failed:', type(error).__name__, error)
        dist.init_process_group('gloo', rank=0, world_size=1)
    print('backend', dist.get_backend())
    model = MMDistributedDataParallel(module=torch.nn.Linear(2, 2),
                                      device_ids=[0])
    print('ddp output', tuple(model(torch.ones(1, 2)).shape))
    """

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason='patch 3 only acts without CUDA'
)


@needs_no_cuda
@pytest.mark.parametrize('preset', [False, True])
def test_the_slurm_launcher_on_cpu_sets_what_gloo_reads(monkeypatch, preset):
    """Each task's rank and count from Slurm, the port mmengine passes,
    the first node of the list as master unless one is set; then gloo.
    (The slow test_slurm_train.py trains two tasks through it.)"""
    import subprocess

    import mmengine.dist.utils as dist_utils
    import torch.distributed as torch_dist

    # the patch writes os.environ itself: a copy keeps the test's writes
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE')
    }
    monkeypatch.setattr(os, 'environ', environ)
    monkeypatch.setenv('SLURM_PROCID', '3')
    monkeypatch.setenv('SLURM_NTASKS', '4')
    monkeypatch.setenv('SLURM_LOCALID', '1')
    monkeypatch.setenv('SLURM_NODELIST', 'node[7-8]')
    if preset:
        monkeypatch.setenv('MASTER_ADDR', 'chosen')
    asked, started = [], []
    monkeypatch.setattr(
        subprocess, 'getoutput', lambda cmd: asked.append(cmd) or 'node7'
    )
    monkeypatch.setattr(
        torch_dist, 'init_process_group', lambda **kw: started.append(kw)
    )
    dist_utils._init_dist_slurm('nccl', port=29611)
    assert started == [dict(backend='gloo', rank=3, world_size=4)]
    assert [os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK')] == [
        '3',
        '4',
        '1',
    ]
    assert os.environ['MASTER_PORT'] == '29611'
    assert os.environ['MASTER_ADDR'] == ('chosen' if preset else 'node7')
    assert asked == (
        [] if preset else ['scontrol show hostname node[7-8] | head -n1']
    )


@needs_no_cuda
def test_cpu_distributed_fails_without_patch():
    result = run_python(
        DIST_SCRIPT.format(port=free_port(), import_mmsamkd='')
    )
    assert 'init failed' in result.stdout, (
        'mmengine initialised CPU distributed training without mmsamkd: '
        'drop the init part of compat patch 3'
    )
    assert result.returncode != 0, (
        'DDP accepted device_ids for a CPU module: drop that part of '
        'compat patch 3'
    )
    assert 'device_ids' in result.stderr


@needs_no_cuda
def test_cpu_distributed_works_with_patch():
    result = run_python(
        DIST_SCRIPT.format(port=free_port(), import_mmsamkd='import mmsamkd')
    )
    assert result.returncode == 0, result.stderr
    assert 'init failed' not in result.stdout
    assert 'backend gloo' in result.stdout
    assert 'ddp output (1, 2)' in result.stdout


# ----------------------------------------------------------- patch 6
INPLACE_SCRIPT = """
{import_mmsamkd}
import torch.nn as nn
from mmengine.model import BaseModel
from mmrazor.models.algorithms.base import BaseAlgorithm

class Net(BaseModel):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 2, 1), nn.Sequential(nn.ReLU(inplace=True))
        )

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.body(inputs)

net = Net()
algorithm = BaseAlgorithm(architecture=net)
print('inplace', [m.inplace for m in net.modules() if hasattr(m, 'inplace')])
"""


@pytest.mark.skipif(
    not compat.module_children_in_plain_dict(),
    reason="this torch's Module._modules is an OrderedDict, which mmrazor "
    'walks: no breakage',
)
def test_inplace_modules_stay_on_without_patch():
    # compat.py alone, with only patch 1 (mmrazor.models needs it):
    # importing the mmsamkd package would apply every patch
    code = 'import importlib.util\n' + (
        "spec = importlib.util.spec_from_file_location('compat', "
        f'{compat.__file__!r})\n'
        'compat = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(compat)\n'
        'compat.stub_mmrazor_quantization_backend_config()\n'
    )
    result = run_python(code + INPLACE_SCRIPT.format(import_mmsamkd=''))
    assert result.returncode == 0, result.stderr
    assert 'inplace [True]' in result.stdout, (
        'mmrazor now turns in-place modules off on this torch: drop compat '
        'patch 6'
    )


def test_inplace_modules_are_turned_off_with_patch():
    result = run_python(INPLACE_SCRIPT.format(import_mmsamkd='import mmsamkd'))
    assert result.returncode == 0, result.stderr
    assert 'inplace [False]' in result.stdout
