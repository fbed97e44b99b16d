"""Every patch mmsamkd applies to third-party packages, in one place.

MMRazor 1.0.0 (its last release) and MMEngine 0.10.7 predate the torch
this project pins (2.14.1). Each patch below names its symptom, the
versions it applies to and how to drop it. All are idempotent and are
applied by :func:`apply_all` when ``mmsamkd`` is imported, which must happen
before ``mmrazor`` is imported (``tools/*.py`` import ``mmsamkd`` first).
Nothing here edits installed files or reads environment variables.
"""

import importlib
import sys
import types
from typing import Any

import torch

_APPLIED = set()

BACKEND_CONFIG_MODULE = 'mmrazor.structures.quantization.backend_config'


def _once(name):
    """Run the decorated patch at most once per process."""

    def decorator(func):

        def wrapper():
            if name not in _APPLIED:
                func()
                _APPLIED.add(name)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper

    return decorator


# --------------------------------------------------------------------------
# 1. mmrazor quantization backend configs
# Symptom: ``import mmrazor.models`` raises "ImportError: `torch>=1.13` is not
#   installed properly" from backend_config/common_operator_config_utils.py,
#   because torch >= 2.10 no longer has ``torch.nn.quantized._reference`` and
#   friends, and mmrazor evaluates placeholders for them at import time.
# Applies to: mmrazor 1.0.0 with torch whose torch.ao API drifted (2.14.1).
# Fix: a stub module for the backend configs; distillation never uses them.
#   Quantizers that do use them get a clear error instead.
# Drop when: mmrazor imports cleanly on the pinned torch.
# --------------------------------------------------------------------------
def torch_ao_quantization_reference_available() -> bool:
    """Whether the torch.ao names mmrazor's backend configs need exist."""
    try:
        importlib.import_module('torch.nn.quantized._reference')
        importlib.import_module('torch.ao.quantization.backend_config')
        mapping = importlib.import_module(
            'torch.ao.quantization.qconfig_mapping'
        )
        fusers = importlib.import_module(
            'torch.ao.quantization.fuser_method_mappings'
        )
    except ImportError:
        return False
    return all(
        hasattr(mod, attr)
        for mod, attr in (
            (mapping, '_FIXED_QPARAMS_OP_TO_OBSERVER'),
            (fusers, 'reverse_sequential_wrapper2'),
        )
    )


class _UnavailableBackends(dict):
    """``BackendConfigs`` stand-in: lookups explain why nothing is there."""

    def __missing__(self, backend):
        raise RuntimeError(
            f'MMRazor quantization backend {backend!r} is unavailable: its '
            f'configs do not import on torch {torch.__version__}, so '
            'mmsamkd.compat replaced them with a stub. Quantization needs a '
            'torch that mmrazor 1.0.0 supports; distillation does not.'
        )


def _unavailable(name):

    def func(*args, **kwargs):
        _UnavailableBackends()[name.split('_')[1]]

    func.__name__ = name
    return func


@_once('mmrazor_backend_config_stub')
def stub_mmrazor_quantization_backend_config() -> None:
    """Register the backend_config stub when torch.ao lacks what it needs."""
    if BACKEND_CONFIG_MODULE in sys.modules:
        return  # already imported (real or stub): nothing to do
    if torch_ao_quantization_reference_available():
        return
    stub = types.ModuleType(BACKEND_CONFIG_MODULE)
    stub.__doc__ = 'Stub installed by mmsamkd.compat (see its patch 1).'
    stub.BackendConfigs = _UnavailableBackends()
    names = []
    for backend in ('native', 'academic', 'openvino', 'tensorrt'):
        for suffix in ('', '_dict'):
            name = f'get_{backend}_backend_config{suffix}'
            setattr(stub, name, _unavailable(name))
            names.append(name)
    stub.__all__ = ['BackendConfigs'] + names
    sys.modules[BACKEND_CONFIG_MODULE] = stub


# --------------------------------------------------------------------------
# 2. Checkpoint loading under torch's ``weights_only=True`` default
# Symptom: mmengine's ``load_from_local`` calls ``torch.load`` without
#   ``weights_only``; since torch 2.6 that refuses mmengine's own checkpoints
#   (message hub history, numpy scalars): "Weights only load failed" on
#   ``teacher_ckpt``, ``--resume`` and ``load_from``.
# Applies to: mmengine 0.10.7 with torch >= 2.6.
# Fix: the local-file loader first tries the safe ``weights_only=True``; if
#   the file holds more than tensors it loads it as the trusted file the user
#   named in the config or on the command line, and logs that it did. No
#   process-wide torch default is changed.
#   Applied on any torch: the same loader verifies checksums (patch 5).
# Drop when: mmengine passes ``weights_only`` itself.
# --------------------------------------------------------------------------
class _Probe:
    """A picklable object that is not a tensor."""


def torch_load_refuses_pickles() -> bool:
    """Whether ``torch.load`` without ``weights_only`` refuses a pickled
    object (torch >= 2.6), as mmengine's loader calls it."""
    import io

    buffer = io.BytesIO()
    torch.save({'probe': _Probe()}, buffer)
    buffer.seek(0)
    try:
        torch.load(buffer)
    except Exception:  # noqa: BLE001 (UnpicklingError, or a RuntimeError)
        return True
    return False


def load_from_trusted_local(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint that the user named, under any torch."""
    import os.path as osp

    from mmengine.logging import print_log

    from .utils.checkpoint_files import unreadable, verify

    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    verify(filename)  # patch 5: the checksum saved beside it, if any
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True
        )
    except Exception as safe_error:  # UnpicklingError and friends
        if (
            'weights_only' not in str(safe_error).lower()
            and 'weights only' not in str(safe_error).lower()
        ):
            raise unreadable(filename, safe_error) from None
    print_log(
        f'{filename} holds training state beyond tensors; loading it with '
        'weights_only=False because it is a file you named '
        '(mmsamkd.compat patch 2).',
        logger='current',
    )
    return torch.load(filename, map_location=map_location, weights_only=False)


@_once('mmengine_trusted_checkpoint_loader')
def patch_mmengine_local_checkpoint_loader() -> None:
    """Route mmengine's local checkpoint scheme through the trusted loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_trusted_local, force=True
    )


# --------------------------------------------------------------------------
# 3. Distributed training on machines without CUDA
# Symptom: ``tools/dist_train.sh`` on a CPU machine fails in mmengine's
#   ``_init_dist_pytorch`` (``torch.cuda.set_device`` with no GPU, default
#   backend nccl), then in ``Runner.wrap_model`` because DDP rejects
#   ``device_ids=[rank]`` for a CPU module; ``tools/slurm_train.sh`` fails
#   the same way in ``_init_dist_slurm``.
# Applies to: mmengine 0.10.7 (any torch) without CUDA.
# Fix: without CUDA, use gloo and skip ``set_device``; when the wrapped
#   module's parameters are on the CPU, pass ``device_ids=None`` (what DDP
#   requires for CPU modules). With CUDA nothing changes.
# Drop when: mmengine supports CPU DDP in these two places.
# --------------------------------------------------------------------------
@_once('mmengine_cpu_distributed')
def patch_mmengine_cpu_distributed() -> None:
    """Make mmengine's pytorch launcher and DDP wrapper work on CPU."""
    import mmengine.dist.utils as dist_utils
    from mmengine.model.wrappers import distributed as ddp_module

    original_init_dist = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original_init_dist(
                backend, init_backend=init_backend, **kwargs
            )
        import os

        import torch.distributed as torch_dist

        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs,
        )

    dist_utils._init_dist_pytorch = init_dist_pytorch

    original_init_slurm = dist_utils._init_dist_slurm

    def init_dist_slurm(backend, port=None, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original_init_slurm(
                backend, port=port, init_backend=init_backend, **kwargs
            )
        import os
        import subprocess

        import torch.distributed as torch_dist

        rank = int(os.environ['SLURM_PROCID'])
        world_size = int(os.environ['SLURM_NTASKS'])
        if port is not None:
            os.environ['MASTER_PORT'] = str(port)
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            nodes = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {nodes} | head -n1'
            )
        os.environ['WORLD_SIZE'] = str(world_size)
        os.environ['RANK'] = str(rank)
        os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
        torch_dist.init_process_group(
            backend='gloo', rank=rank, world_size=world_size, **kwargs
        )

    dist_utils._init_dist_slurm = init_dist_slurm

    ddp_class = ddp_module.MMDistributedDataParallel
    original_ddp_init = ddp_class.__init__

    def ddp_init(self, module, **kwargs):
        devices = {p.device.type for p in module.parameters()}
        if devices == {'cpu'}:
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        original_ddp_init(self, module=module, **kwargs)

    ddp_class.__init__ = ddp_init


# --------------------------------------------------------------------------
# 4. Teacher checkpoints loaded non-strictly
# Symptom: ``SingleTeacherDistill`` (and so KD, HSAKD, SAMKD) loads
#   ``teacher_ckpt`` with ``strict=False``: the student's checkpoint, a
#   12-class teacher for 10 classes, a file without ``state_dict`` or a
#   teacher without branches all leave teacher weights random, with
#   warnings only, and training exits 0.
# Applies to: mmrazor 1.0.0 (a policy, not a version bug).
# Fix: its module-level ``load_checkpoint`` becomes
#   :func:`mmsamkd.utils.teacher_checkpoint.load_teacher_checkpoint`, which
#   refuses a checkpoint that does not cover every teacher weight.
# Drop when: mmrazor offers a strict teacher load.
# --------------------------------------------------------------------------
@_once('mmrazor_strict_teacher_load')
def patch_mmrazor_strict_teacher_load() -> None:
    """Make SingleTeacherDistill refuse a teacher_ckpt that does not fit."""
    from mmrazor.models.algorithms.distill.configurable import (
        single_teacher_distill,
    )

    from .utils.teacher_checkpoint import load_teacher_checkpoint

    single_teacher_distill.load_checkpoint = load_teacher_checkpoint


# --------------------------------------------------------------------------
# 5. Checkpoint files: integrity and movable work dirs
# Symptoms: a bit-flipped checkpoint resumes with rc 0 and ruined weights; a
#   truncated one gives a raw torch traceback; a run killed while saving can
#   leave a half-written file or ``last_checkpoint``, a full disk left
#   ``*.part`` files, and a run that dies between saving a new best
#   checkpoint and saving the epoch's checkpoint again resumes unaware of
#   that best and adds a second. ``last_checkpoint`` and the best
#   checkpoint are stored as absolute paths: a copied work dir resumes
#   from, and then deletes, the original run's files; a moved one cannot
#   resume.
# Applies to: mmengine 0.10.7 (any torch).
# Fix: local checkpoints and ``last_checkpoint`` are saved atomically, the
#   checkpoints with a ``.sha256`` beside them, verified before every load
#   (patch 2's loader); a failed write removes its ``.part`` and stops
#   with one line; a resumed run adopts a best checkpoint saved after its
#   checkpoint; stored paths into another directory are read as the same
#   file name in the current work dir (``mmsamkd.utils.checkpoint_files``).
# Drop when: mmengine verifies checkpoints and stores relative paths.
# --------------------------------------------------------------------------
@_once('mmengine_checkpoint_files')
def patch_mmengine_checkpoint_files() -> None:
    """Verified, atomic checkpoint saves and work-dir-relative paths."""
    import os
    import os.path as osp

    from mmengine.dist import is_main_process
    from mmengine.hooks import CheckpointHook
    from mmengine.hooks import checkpoint_hook as checkpoint_hook_module
    from mmengine.runner import checkpoint as checkpoint_module
    from mmengine.runner import runner as runner_module

    from .utils.checkpoint_files import (
        AtomicTextFile,
        missing_latest,
        newer_best,
        rebase,
        rebase_stored_paths,
        remove_partial,
        save_verified,
    )

    original_save = checkpoint_module.save_checkpoint

    def save_checkpoint(checkpoint, filename, *args, **kwargs):
        if '://' in str(filename):
            return original_save(checkpoint, filename, *args, **kwargs)
        save_verified(checkpoint, str(filename))

    original_find = checkpoint_module.find_latest_checkpoint

    def find_latest_checkpoint(path):
        found = rebase(original_find(path), path)
        if found is not None and not osp.isfile(found):
            # an empty last_checkpoint, or one naming a removed file
            raise missing_latest(path, found)
        return found

    def open_in_hook(file, mode='r', *args, **kwargs):
        # the hook's only open() writes last_checkpoint
        if mode == 'w' and osp.basename(str(file)) == 'last_checkpoint':
            return AtomicTextFile(str(file))
        return open(file, mode, *args, **kwargs)

    checkpoint_hook_module.open = open_in_hook
    for module in (checkpoint_module, runner_module):
        module.save_checkpoint = save_checkpoint
        module.find_latest_checkpoint = find_latest_checkpoint
    import mmengine.runner as runner_package

    runner_package.save_checkpoint = save_checkpoint  # CheckpointHook's
    runner_package.find_latest_checkpoint = find_latest_checkpoint

    original_before_train = CheckpointHook.before_train

    def before_train(self, runner):
        # a resumed run's stored paths must not reach into another dir
        rebase_stored_paths(runner.message_hub, runner.work_dir)
        if is_main_process():
            remove_partial(runner.work_dir)
        if self.save_best and len(self.key_indicators) == 1:
            adopt_newer_best(self, runner)
        original_before_train(self, runner)

    def adopt_newer_best(hook, runner):
        directory = hook.out_dir or runner.work_dir
        step = runner.epoch if hook.by_epoch else runner.iter
        known = runner.message_hub.runtime_info.get('best_ckpt')
        found = newer_best(directory, known, step)
        if found is None:
            return
        path, score, outdated = found
        runner.message_hub.update_info('best_ckpt', path)
        runner.message_hub.update_info('best_score', score)
        runner.logger.info(
            f'{path} (score {score}) was saved after the checkpoint this '
            'run resumes from: it stays the best checkpoint'
        )
        if is_main_process():
            for old in outdated:
                os.remove(old)

    CheckpointHook.before_train = before_train


# --------------------------------------------------------------------------
# 6. In-place activations under recorders
# Symptom: MMRazor algorithms promise to turn every ``inplace`` module off
#   (``module_inplace=False``, the default) so that a recorder on, say, a
#   ReLU output keeps what it saw; but ``set_module_inplace_false`` walks
#   ``_modules`` only when it is an ``OrderedDict``, and on torch >= 2.x it
#   is a plain dict: nothing is changed, and a recorded activation can be
#   overwritten by a later in-place op, silently.
# Applies to: mmrazor 1.0.0 with torch whose ``Module._modules`` is a dict.
# Fix: the method sets ``inplace = False`` on every submodule that has it.
# Drop when: mmrazor walks ``nn.Module.modules()`` itself.
# --------------------------------------------------------------------------
def module_children_in_plain_dict() -> bool:
    """Whether ``nn.Module._modules`` is a plain dict, which mmrazor's
    ``set_module_inplace_false`` does not walk."""
    return type(torch.nn.Module()._modules) is dict


@_once('mmrazor_inplace_false')
def patch_mmrazor_set_module_inplace_false() -> None:
    """Really turn off in-place modules in distilled models (only where
    mmrazor's own switch-off misses them)."""
    if not module_children_in_plain_dict():
        return
    from mmrazor.models.algorithms.base import BaseAlgorithm

    def set_module_inplace_false(self, architecture, varstr=None):
        if not isinstance(architecture, torch.nn.Module):
            return
        for module in architecture.modules():
            if isinstance(getattr(module, 'inplace', None), bool):
                module.inplace = False

    BaseAlgorithm.set_module_inplace_false = set_module_inplace_false


# --------------------------------------------------------------------------
# 7. Checkpoints from URLs
# Symptom: MMEngine's ``http(s)://`` loader (``teacher_ckpt`` or
#   ``load_from`` set to a model-zoo URL, as MMRazor's configs do) unpickles
#   the download in full under any torch (``load_state_dict_from_url``
#   passes ``weights_only=False``): a file from the network can run code.
#   The hash in a model-zoo file name is not checked.
# Applies to: mmengine 0.10.7 (any torch).
# Fix: ``mmsamkd.utils.url_checkpoint.load_from_url``: downloaded once,
#   checked against the hash its name carries, loaded with
#   ``weights_only=True`` only; more than tensors stops with one line that
#   names the downloaded copy, which the user may then name as a local
#   file (patch 2's loader) to opt in.
# Drop when: mmengine loads URLs with ``weights_only=True``.
# --------------------------------------------------------------------------
@_once('mmengine_url_checkpoint_loader')
def patch_mmengine_url_checkpoint_loader() -> None:
    """Route MMEngine's http(s) checkpoint schemes through the safe
    loader."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from .utils.url_checkpoint import load_from_url

    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_url, force=True
    )


def apply_all() -> None:
    """Apply every patch; safe to call any number of times."""
    stub_mmrazor_quantization_backend_config()
    patch_mmengine_local_checkpoint_loader()
    patch_mmengine_url_checkpoint_loader()
    patch_mmengine_cpu_distributed()
    patch_mmrazor_strict_teacher_load()
    patch_mmengine_checkpoint_files()
    patch_mmrazor_set_module_inplace_false()
