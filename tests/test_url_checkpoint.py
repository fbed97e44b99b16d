"""Teachers named by URL, as MMRazor's configs name model-zoo checkpoints,
served here from the loopback address (there is no network): strict
loads, the hash in the file name, tensors only, and the opt-in."""

import functools
import hashlib
import http.server
import os.path as osp
import threading

import pytest
import torch
from mmengine.config import Config
from test_cli_errors import assert_one_line_error
from test_teacher_checkpoint import build, save_weights

from conftest import KD_CFG, REPO, options_args, run_tool_in_process
from mmsamkd.errors import CheckpointError

SSA_STAGE_CFG = osp.join(
    REPO, 'configs/teachers/resnet14_ssa-frozen_1xb64_fmnist.py'
)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """``(folder, base URL)``: files put in the folder are served on
    127.0.0.1; downloads are cached under this test's own TORCH_HOME."""
    folder = tmp_path / 'zoo'
    folder.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def zoo_name(path, stem):
    """Rename ``path`` as the model zoos name files:
    ``<stem>-<first 8 hex digits of its sha256>.pth``."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    named = path.with_name(f'{stem}-{digest}.pth')
    path.rename(named)
    return named.name


def test_a_url_teacher_loads_strictly_and_is_cached(served, tmp_path):
    folder, url = served
    model_cfg = Config.fromfile(KD_CFG).model
    teacher = save_weights(model_cfg.teacher, folder / 'teacher.pth')
    name = zoo_name(folder / 'teacher.pth', 'resnet14_fmnist')
    algorithm = build(KD_CFG, f'{url}/{name}')
    for key, value in teacher.state_dict().items():
        assert torch.equal(algorithm.teacher.state_dict()[key], value), key
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / name
    assert cached.is_file()
    # a second load reads the cached copy: the server may be gone
    (folder / name).unlink()
    build(KD_CFG, f'{url}/{name}')


def test_a_url_checkpoint_that_does_not_fit_is_refused_in_one_line(
    served, tmp_path
):
    folder, url = served
    model_cfg = Config.fromfile(KD_CFG).model
    save_weights(model_cfg.architecture, folder / 'student.pth')
    name = zoo_name(folder / 'student.pth', 'resnet8')
    result = run_tool_in_process(
        'train.py',
        KD_CFG,
        '--work-dir',
        tmp_path / 'run',
        *options_args({'model.teacher_ckpt': f'{url}/{name}'}),
    )
    assert_one_line_error(result, f'{name} does not fit', 'another shape')


def test_a_download_that_breaks_its_hash_is_refused(served):
    folder, url = served
    model_cfg = Config.fromfile(KD_CFG).model
    save_weights(model_cfg.teacher, folder / 'resnet14-0badc0de.pth')
    with pytest.raises(CheckpointError, match='SHA-256 prefix 0badc0de'):
        build(KD_CFG, f'{url}/resnet14-0badc0de.pth')
    with pytest.raises(CheckpointError, match='cannot download'):
        build(KD_CFG, f'{url}/missing-12345678.pth')


class RunsCode:
    """Unpickling this creates a file: a stand-in for any code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_a_served_pickle_that_would_run_code_is_refused(served, tmp_path):
    folder, url = served
    marker = tmp_path / 'code_ran'
    model_cfg = Config.fromfile(KD_CFG).model
    teacher = save_weights(model_cfg.teacher, folder / 'teacher.pth')
    torch.save(
        {'meta': RunsCode(str(marker)), 'state_dict': teacher.state_dict()},
        folder / 'teacher.pth',
    )
    name = zoo_name(folder / 'teacher.pth', 'resnet14')
    with pytest.raises(CheckpointError) as info:
        build(KD_CFG, f'{url}/{name}')
    message = str(info.value)
    assert not marker.exists()
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / name
    assert 'holds more than tensors' in message and str(cached) in message
    assert '\n' not in message
    # the opt-in the message names: the downloaded copy, as a local file
    build(KD_CFG, cached)
    assert marker.exists()


@pytest.mark.slow
def test_the_frozen_branch_stage_starts_from_a_url(
    served, fmnist_teacher_ckpt, tmp_path
):
    """HSAKD's teacher stage (``load_from`` the plain teacher) from a URL:
    it trains, and its frozen network keeps the served weights."""
    folder, url = served
    # published as the model zoos publish: weights and plain metadata, no
    # optimizer or message hub (whose objects need full unpickling)
    served_state = torch.load(fmnist_teacher_ckpt, weights_only=False)
    torch.save(
        {'meta': {'epoch': 1}, 'state_dict': served_state['state_dict']},
        folder / 'teacher.pth',
    )
    name = zoo_name(folder / 'teacher.pth', 'resnet14_fmnist')
    result = run_tool_in_process(
        'train.py',
        SSA_STAGE_CFG,
        '--work-dir',
        tmp_path / 'stage',
        *options_args({'load_from': f'{url}/{name}'}),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    trained = torch.load(
        tmp_path / 'stage' / 'epoch_1.pth', weights_only=False
    )
    frozen = [k for k in served_state['state_dict'] if 'backbone' in k]
    assert frozen
    for key in frozen:
        assert torch.equal(
            trained['state_dict'][key], served_state['state_dict'][key]
        ), key
