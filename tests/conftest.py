"""Shared helpers: tiny Fashion-MNIST runs of the real configs."""

import contextlib
import os
import os.path as osp
import subprocess
import sys

import pytest

# Under pytest-xdist (-n N) the workers share the cores: one worker's
# torch (and each run it starts) gets its share, not all of them.
if os.environ.get('PYTEST_XDIST_WORKER_COUNT'):
    _share = os.cpu_count() // int(os.environ['PYTEST_XDIST_WORKER_COUNT'])
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, _share)))

import mmsamkd  # noqa: E402, F401  (compat before anything imports mmrazor)


def _remember_metafile_lookups():
    """MMEngine resolves each ``mmpretrain::`` base by reading all of
    MMPretrain's metafiles (170 YAML files, 0.15 s) before it falls back to
    the path, for every parse: the tests parse configs thousands of times,
    so each answer (or ValueError) is kept for the session."""
    import mmengine.config.utils as config_utils

    look_up = config_utils._get_cfg_metainfo
    answers = {}

    def remembered(package_path, cfg_path):
        key = (package_path, cfg_path)
        if key not in answers:
            try:
                answers[key] = (look_up(package_path, cfg_path), None)
            except ValueError as error:
                # its message, not the error: a raised error's traceback
                # holds every frame of the stack it was raised in
                answers[key] = (None, error.args)
        found, error_args = answers[key]
        if error_args is not None:
            raise ValueError(*error_args)
        return found

    config_utils._get_cfg_metainfo = remembered


_remember_metafile_lookups()


def _remember_config_formatting():
    """A Runner formats its config with yapf at start and for every
    checkpoint (``pretty_text``): 2 s each for a CIFAR SAMKD config, most
    of a one-step test. The same text gives the same formatting, so each
    is formatted once per session."""
    import mmengine.config.config as config_module

    format_code = config_module.FormatCode
    formatted = {}

    def remembered(text, **options):
        key = (text, repr(sorted(options.items())))
        if key not in formatted:
            formatted[key] = format_code(text, **options)
        return formatted[key]

    config_module.FormatCode = remembered


_remember_config_formatting()


def pytest_collection_modifyitems(config, items):
    """The end-to-end tests (marked slow, 5 to 60 s each) first: under
    pytest-xdist the two workers then share them from the start, and the
    run ends on short tests instead of one worker finishing a long one
    while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker('slow') is None)


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER_CFG = osp.join(REPO, 'configs/teachers/resnet14_1xb64_fmnist.py')
STUDENT_CFG = osp.join(REPO, 'configs/vanilla/resnet8-quarter_1xb64_fmnist.py')
KD_CFG = osp.join(
    REPO, 'configs/kd/kd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)

# Small enough for seconds per run, large enough to see learning; the
# evaluations (student and teacher) on half as many images.
TINY_OPTIONS = {
    'train_dataloader.dataset.indices': 256,
    'val_dataloader.dataset.indices': 128,
    'test_dataloader.dataset.indices': 128,
    'train_cfg.max_epochs': 1,
    'default_hooks.logger.interval': 1,
}


def tiny_cfg(config, work_dir, **options):
    """Load ``config`` for a tiny CPU run in ``work_dir``."""
    from mmengine.config import Config

    cfg = Config.fromfile(config)
    merged = dict(TINY_OPTIONS)
    merged.update(options)
    cfg.merge_from_dict(merged)
    cfg.work_dir = str(work_dir)
    # Unique names: several Runners share one test process.
    cfg.experiment_name = f'{osp.basename(str(work_dir))}_{id(cfg)}'
    return cfg


def options_args(options):
    merged = dict(TINY_OPTIONS)
    merged.update(options)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in merged.items()]


def run_tool(script, *args, env=None, timeout=600, cwd=REPO):
    """Run ``tools/<script>`` with this interpreter; return the result."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', script), *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def load_tool(script):
    """``tools/<script>`` as a module (a fresh one per call)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        script[: -len('.py')], osp.join(REPO, 'tools', script)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool_in_process(script, *args, cwd=REPO):
    """``tools/<script>``'s ``main()`` in this process, with its exit code
    and output, as :func:`run_tool` returns them: without a new
    interpreter's 5-10 s of imports. The processes a tool starts itself
    (compare.py's trainers) are still processes of their own. An uncaught
    exception becomes a traceback on stderr and code 1."""
    import contextlib
    import io
    import traceback
    from unittest import mock

    module = load_tool(script)
    argv = [script, *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        mock.patch.object(sys, 'argv', argv),
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            module.main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            code = 0 if exit_.code is None else code
        except Exception:  # noqa: BLE001 (what a user would see)
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(
        argv, code, out.getvalue(), err.getvalue()
    )


@pytest.fixture(scope='session')
def fmnist_teacher_ckpt(tmp_path_factory):
    """A teacher trained for one tiny epoch, shared by the KD tests."""
    from mmengine.runner import Runner

    work_dir = tmp_path_factory.mktemp('teacher')
    runner = Runner.from_cfg(tiny_cfg(TEACHER_CFG, work_dir))
    runner.train()
    return str(work_dir / 'epoch_1.pth')


def second_teacher_stage(config, plain_ckpt, work_dir):
    """Train ``configs/teachers/<config>`` for a tiny epoch on top of the
    plain teacher ``plain_ckpt`` (load_from); return its checkpoint."""
    from mmengine.runner import Runner

    cfg = tiny_cfg(osp.join(REPO, 'configs/teachers', config), work_dir)
    cfg.load_from = plain_ckpt
    Runner.from_cfg(cfg).train()
    return str(work_dir / 'epoch_1.pth')


@pytest.fixture(scope='session')
def fmnist_ssa_teacher_ckpt(fmnist_teacher_ckpt, tmp_path_factory):
    """The tiny teacher with self-supervised branches (frozen mode)."""
    return second_teacher_stage(
        'resnet14_ssa-frozen_1xb64_fmnist.py',
        fmnist_teacher_ckpt,
        tmp_path_factory.mktemp('ssa_teacher'),
    )


@pytest.fixture(scope='session')
def fmnist_sskd_teacher_ckpt(fmnist_teacher_ckpt, tmp_path_factory):
    """The tiny teacher with SSKD's projection head (stage 2)."""
    return second_teacher_stage(
        'resnet14_sskd-head_1xb64_fmnist.py',
        fmnist_teacher_ckpt,
        tmp_path_factory.mktemp('sskd_teacher'),
    )


@pytest.fixture(scope='session')
def fmnist_teacher_snapshots(tmp_path_factory):
    """Three snapshots of a tiny teacher run (epochs 1, 2, 3)."""
    from mmengine.runner import Runner

    config = osp.join(
        REPO, 'configs/teachers/resnet14_snapshots_1xb64_fmnist.py'
    )
    work_dir = tmp_path_factory.mktemp('snapshot_teacher')
    cfg = tiny_cfg(
        config,
        work_dir,
        **{
            'train_cfg.max_epochs': 3,
            'default_hooks.checkpoint.interval': 1,
            'train_dataloader.dataset.indices': 128,
        },
    )
    Runner.from_cfg(cfg).train()
    return [str(work_dir / f'epoch_{e}.pth') for e in (1, 2, 3)]


def free_port():
    """A TCP port free on the loopback interface right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def port_held(port):
    """``port`` listened on meanwhile, as another run on this machine
    would hold it (left as it is where something holds it already)."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(('', port))
            sock.listen()
        except OSError:
            pass
        yield


def training_flags(algorithm):
    """The ``training`` flag of each call of ``algorithm``'s data
    preprocessor from now on (True: a config's batch augments apply)."""
    preprocess, flags = algorithm.data_preprocessor.forward, []

    def recorded(data, training=False):
        flags.append(training)
        return preprocess(data, training)

    algorithm.data_preprocessor.forward = recorded
    return flags


def clone_state(module):
    """A detached copy of ``module.state_dict()``, to compare later."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def rank_weights_config(config, out_dir, monkeypatch):
    """A config file that runs ``config`` and saves each DDP rank's
    student as ``<out_dir>/rank<r>.pth`` (tests/rank_weights_hook.py);
    returns its path and puts tests/ on PYTHONPATH for the hook.
    """
    # a hook from tests/, which the config must import itself
    # (custom_imports act when the file is read)
    config_file = osp.join(str(out_dir), 'with_rank_weights.py')
    with open(config_file, 'w', encoding='utf-8') as f:
        f.write(
            f'_base_ = [{str(config)!r}]\n'
            "custom_imports = dict(imports=['mmsamkd', 'rank_weights_hook'],"
            ' allow_failed_imports=False)\n'
            "default_hooks = dict(rank_weights=dict(type='RankWeightsHook', "
            f'out_dir={str(out_dir)!r}))\n'
        )
    here = osp.dirname(osp.abspath(__file__))
    monkeypatch.setenv(
        'PYTHONPATH', os.pathsep.join([here, os.environ.get('PYTHONPATH', '')])
    )
    return config_file


def rank_weights(out_dir):
    """The students that ranks 0 and 1 saved (rank_weights_config)."""
    import torch

    return [
        torch.load(osp.join(str(out_dir), f'rank{r}.pth'), weights_only=True)
        for r in (0, 1)
    ]


def run_dist_train(config, nproc, work_dir, options, script_port=False):
    """``tools/dist_train.sh`` with this interpreter on a free port
    (``script_port``: on the port the script picks itself)."""
    command = [
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'),
        config,
        str(nproc),
        '--work-dir',
        str(work_dir),
        *options_args(options),
    ]
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop('PORT', None)
    if not script_port:
        env['PORT'] = str(free_port())
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


# images per file (CIFAR) or class (Tiny-ImageNet) of synthetic_roots
SYNTHETIC_IMAGES = 4


@pytest.fixture
def synthetic_roots(tmp_path, monkeypatch):
    """Tiny CIFAR-10, CIFAR-100 and Tiny-ImageNet in the official layouts;
    returns ``{dataset type: data root}``."""
    import mmpretrain.datasets.cifar as cifar

    from mmsamkd.datasets import LocalCIFAR10, LocalCIFAR100
    from synthetic_data import write_cifar_dataset, write_tiny_imagenet

    # MMPretrain checks the real files' md5 sums, which tiny stand-ins
    # cannot match: bypassed here only, for files the test wrote
    monkeypatch.setattr(cifar, 'check_md5', lambda *args, **kwargs: True)
    roots = {}
    for dataset_cls in (LocalCIFAR10, LocalCIFAR100):
        root = tmp_path / dataset_cls.__name__
        write_cifar_dataset(root, dataset_cls, n_per_file=SYNTHETIC_IMAGES)
        roots[dataset_cls.__name__] = str(root)
    tiny = tmp_path / 'tiny'
    tiny.mkdir()
    write_tiny_imagenet(tiny, per_class=SYNTHETIC_IMAGES)
    roots['TinyImageNet'] = str(tiny)
    return roots
