"""What a training run wrote, and which settings it was trained with.

``tools/train.py`` writes ``run_config.json`` in the work dir: a digest of
the config as trained (places such as ``work_dir`` and checkpoint paths
left out), the dataset, schedule and seed, the batch of a step (processes
times images per process), the timestamp of the launch
that started the run, and the sha256 of each file the run starts from
(its ``teacher_ckpt``, ``teacher_snapshots`` and ``load_from``) and a
fingerprint of each data folder it reads (:mod:`.data_files`), and the
code that trained it (``training_code``).
``tools/compare.py`` reuses a run only when that digest equals the one of
the config it was asked for, those files are still the ones it was
trained from (a student distilled from a teacher that has since been
retrained is another run, as is a run on data replaced in its folder)
and the code is the installed one, and reads
only the records of that run's launches. Records written before the file
digests existed are checked on the config alone; those written before
code was named count as other code.
"""

import functools
import glob
import hashlib
import json
import os
import os.path as osp
from typing import Any, Dict, Iterator, List, Mapping, Optional

from mmengine.config import Config

from .checkpoint_files import sha256_of
from .data_files import data_roots, folder_fingerprint
from .registered_types import type_name

RECORD = 'run_config.json'
# the package's parts that only read finished runs: editing them changes
# no trained number
_NOT_TRAINING = ('comparison',)
# settings that say where things are, not what is trained
_PLACES = ('work_dir', 'resume', 'load_from', 'launcher', 'experiment_name')


def config_digest(cfg: Config) -> str:
    """sha256 of ``cfg`` without the settings that only name places."""
    settings = cfg._cfg_dict.to_dict()
    for key in _PLACES:
        settings.pop(key, None)
    if isinstance(settings.get('model'), dict):
        settings['model'].pop('teacher_ckpt', None)
    text = json.dumps(settings, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def input_digests(cfg: Config) -> Dict[str, str]:
    """``{role: sha256}`` of the files the run of ``cfg`` starts from.

    Roles, not paths, are the keys: the same teacher under another work
    dir root is the same input. ``load_from`` of a resumed run is its own
    checkpoint, not an input, and files that do not exist are left out.
    The file itself is hashed, not the ``.sha256`` saved beside it, which
    a checkpoint copied over another would leave stale. Each
    ``data_root`` the training and validation read is an input too, by
    the names and sizes of its files (see :mod:`.data_files`).
    """
    model = cfg.get('model') or {}
    roles = {'teacher_ckpt': model.get('teacher_ckpt')}
    for index, path in enumerate(model.get('teacher_snapshots') or ()):
        roles[f'teacher_snapshots[{index}]'] = path
    if not cfg.get('resume'):
        roles['load_from'] = cfg.get('load_from')
    digests = {
        role: sha256_of(str(path))
        for role, path in roles.items()
        if path and osp.isfile(str(path))
    }
    for role, folder in data_roots(cfg).items():
        digests[role] = folder_fingerprint(folder)
    return digests


def package_code(package: str) -> str:
    """``<version>+<digest>`` of the mmsamkd package in ``package``: 12 hex
    digits of sha256 over every ``.py`` file but the comparison's (which
    only reads finished runs), their paths included."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in _NOT_TRAINING and not name.startswith('__')
        )
        for name in sorted(files):
            if name.endswith('.py'):
                path = osp.join(folder, name)
                digest.update(osp.relpath(path, package).encode() + b'\0')
                with open(path, 'rb') as f:
                    digest.update(f.read() + b'\0')
    version = {}
    with open(osp.join(package, 'version.py'), encoding='utf-8') as f:
        exec(f.read(), version)
    return f'{version["__version__"]}+{digest.hexdigest()[:12]}'


@functools.lru_cache(maxsize=None)
def training_code() -> str:
    """The code of the installed mmsamkd, which trains runs now. A fix of
    a loss, a dataset or a hook gives another digest, so runs trained
    before it are not reused as runs of the fixed code, even where the
    version was not bumped."""
    return package_code(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _images_taken(dataset: Mapping[str, Any]) -> str:
    """``[:N]`` or ``[N images]`` where ``indices`` takes a part."""
    indices = dataset.get('indices')
    if isinstance(indices, int):
        return f'[:{indices}]'
    if indices is not None:
        return f'[{len(indices)} images]'
    return ''


def images_taken_problem(
    dataset_cfg: Any, dataset: Optional[Any]
) -> Optional[str]:
    """Why ``dataset``, built from ``dataset_cfg``, holds fewer images
    than its ``indices`` ask for, or None. MMEngine takes the first N of
    what the split holds, so ``indices=60000`` beside ``val_size=10000``
    trained on 50000 images, rc 0, while the run's record and the
    comparison said ``[:60000]``; a list of indices past the split's end
    stopped in an ``IndexError`` (``dataset`` None: the build that
    raised it)."""
    indices = (
        dataset_cfg.get('indices') if hasattr(dataset_cfg, 'get') else None
    )
    if indices is None or isinstance(indices, bool):
        return None
    split = dataset_cfg.get('split')
    where = f' split {split!r}' if split else ''
    val_size = dataset_cfg.get('val_size')
    held_out = (
        f" ({val_size} of the training images are held out as split 'val')"
        if val_size and split in ('train', None)
        else ''
    )
    name = type_name(dataset_cfg, '?')
    if not isinstance(indices, int):
        if dataset is not None:
            return None
        return (
            f'dataset.indices names image {max(indices)}, past the end of '
            f'what {name}{where} holds{held_out}; indices count from 0 '
            'within the split. Name images the split holds.'
        )
    held = len(dataset)
    if held >= indices:
        return None
    return (
        f'dataset.indices={indices}, but {name}{where} holds {held} '
        f'images{held_out}: the run would take {held} while its record and '
        f'the comparison say [:{indices}]. Set indices={held}, or None for '
        'all of them.'
    )


def describe_dataset(cfg: Config) -> str:
    """A short name of the training data, e.g. ``LocalFashionMNIST[:5000]``."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    return type_name(dataset, '?') + _images_taken(dataset)


def describe_evaluation(cfg: Config) -> str:
    """The data every validation of the run scores, e.g.
    ``LocalFashionMNIST test`` or ``LocalFashionMNIST val[:128] of 10000``
    (a split carved from the training images names how many it holds:
    another ``val_size`` is other images); ``'no validation'`` for a run
    without one."""
    if not cfg.get('val_dataloader'):
        return 'no validation'
    dataset = cfg.val_dataloader.get('dataset', {})
    split = dataset.get('split')
    text = type_name(dataset, '?')
    text += f' {split}' if split else ''
    text += _images_taken(dataset)
    if split == 'val' and dataset.get('val_size'):
        text += f' of {dataset["val_size"]}'
    return text


def describe_schedule(cfg: Config) -> str:
    train_cfg = cfg.get('train_cfg', {})
    if 'max_epochs' in train_cfg:
        length = f'{train_cfg["max_epochs"]} epochs'
    else:
        length = f'{train_cfg.get("max_iters", "?")} iters'
    wrapper = cfg.get('optim_wrapper', {})
    optimizer = wrapper.get('optimizer') or wrapper.get(
        'architecture', {}
    ).get('optimizer', {})
    lr = optimizer.get('lr') if hasattr(optimizer, 'get') else None
    return length + (f', lr {lr}' if lr is not None else '')


def described_settings(cfg: Config) -> Dict[str, Any]:
    """The settings a record names, to say how two runs differ."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    return dict(
        dataset=describe_dataset(cfg),
        # which files and which part of them the run trained on
        split=dataset.get('split'),
        data_root=dataset.get('data_root'),
        # and which data its accuracy is measured on
        evaluation=describe_evaluation(cfg),
        schedule=describe_schedule(cfg),
        seed=cfg.get('randomness', {}).get('seed'),
        precision=describe_precision(cfg),
        memory_format=(
            'channels_last' if cfg.get('channels_last') else 'contiguous'
        ),
    )


def describe_batch(cfg: Config, processes: int) -> str:
    """The batch of one step, named as OpenMMLab names configs:
    ``2xb64`` for two processes of 64 images each (128 per step). It is
    a setting of the launch, not of the config: one config trained by
    ``tools/dist_train.sh`` on two processes takes steps twice as large,
    with the same learning rate (unless ``auto_scale_lr`` scales it:
    :func:`lr_scale`)."""
    batch_size = cfg.get('train_dataloader', {}).get('batch_size', '?')
    return f'{processes}xb{batch_size}'


def enabled_auto_scale_lr(cfg: Config) -> Optional[Mapping[str, Any]]:
    """``cfg``'s ``auto_scale_lr`` where MMEngine applies it (``enable``
    true), else None."""
    scaling = cfg.get('auto_scale_lr') or {}
    if hasattr(scaling, 'get') and scaling.get('enable', False):
        return scaling
    return None


def lr_scale(cfg: Config, processes: int) -> float:
    """What MMEngine's Runner multiplies every learning rate by: ``(processes
    x batch_size) / auto_scale_lr.base_batch_size`` where ``auto_scale_lr``
    is enabled, else 1. The configs' ``lr`` values are then not the run's
    (Goyal et al., "Accurate, Large Minibatch SGD", 2017: the linear
    scaling rule)."""
    scaling = enabled_auto_scale_lr(cfg)
    if scaling is None:
        return 1.0
    batch_size = cfg.train_dataloader.batch_size
    return processes * batch_size / scaling['base_batch_size']


def describe_precision(cfg: Config) -> str:
    """``'mixed'`` where an optim wrapper autocasts, else ``'fp32'``."""
    wrapper = cfg.get('optim_wrapper', {})
    entries = [wrapper] + [v for v in wrapper.values() if isinstance(v, dict)]
    kinds = {str(entry.get('type', '')) for entry in entries}
    mixed = any(
        k.endswith(('AmpOptimWrapper', 'MixedPrecisionOptimWrapper'))
        for k in kinds
    )
    return 'mixed' if mixed else 'fp32'


def run_record(
    cfg: Config, since: Optional[str] = None, processes: int = 1
) -> Dict[str, Any]:
    """The record of a run of ``cfg`` launched on ``processes`` processes."""
    import torch

    return dict(
        digest=config_digest(cfg),
        config=osp.basename(str(cfg.filename or '')),
        **described_settings(cfg),
        batch=describe_batch(cfg, processes),
        lr_scale=lr_scale(cfg, processes),
        since=since,
        inputs=input_digests(cfg),
        code=training_code(),
        # a CPU run's figures depend on its thread count (summation order)
        threads=torch.get_num_threads(),
    )


def read_record(work_dir: str) -> Optional[Dict[str, Any]]:
    path = osp.join(work_dir, RECORD)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def write_record(work_dir: str, record: Mapping[str, Any]) -> None:
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, RECORD), 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=1)


def changed_inputs(record: Mapping[str, Any], cfg: Config) -> List[str]:
    """The files the run of ``record`` started from that are not the
    files ``cfg`` names now (a teacher retrained since, a replaced
    checkpoint, other files in its data folder), as phrases; empty when
    none changed or when the record predates input digests."""
    trained_from = (record or {}).get('inputs') or {}
    return [
        f'its {role} has changed since it was trained '
        + (
            '(files added, removed or of another size)'
            if '.data_root' in role
            else '(retrained or replaced)'
        )
        for role, digest in input_digests(cfg).items()
        if role in trained_from and trained_from[role] != digest
    ]


def record_mismatch(
    record: Mapping[str, Any], cfg: Config, processes: Optional[int] = 1
) -> Optional[str]:
    """How the run of ``record`` differs from a run of ``cfg`` on
    ``processes`` processes, or None if it does not: other settings, a
    step of another size, or a file it started from that has changed.
    ``processes=None`` takes the run as it was trained: its step size and
    the code that trained it (``--collect-only``)."""
    if record is None:
        return None
    changed = []
    other_config = record['digest'] != config_digest(cfg)
    if other_config:
        name = osp.basename(str(cfg.filename or ''))
        if record.get('config') not in (None, name):
            changed.append(f'config {record["config"]} vs {name}')
        changed += [
            f'{key} {record.get(key)} vs {value}'
            for key, value in described_settings(cfg).items()
            # records made before a setting was named lack it
            if record.get(key, value) != value
        ]
    batch = processes and describe_batch(cfg, processes)
    # the same config on another number of processes: another step size
    if batch and record.get('batch', batch) != batch:
        changed.append(f'batch {record["batch"]} vs {batch}')
    if other_config and not changed:
        changed = ['other values in the same config']
    # a record without ``code`` was written before it was named: older code
    code = record.get('code', 'not recorded')
    if processes and code != training_code():
        changed.append(f'mmsamkd code {code} vs {training_code()}')
    return '; '.join(changed + changed_inputs(record, cfg)) or None


def _launch_records(work_dir: str) -> Iterator[dict]:
    """The scalar records of the run in ``work_dir``, launch by launch.

    mmengine's LocalVisBackend writes ``<timestamp>/vis_data/scalars.json``
    per launch; a resumed run starts a new timestamp, so later records
    come later. Launches before the run's start (``since`` in its record)
    belong to an earlier run in the same dir and are left out.
    """
    record = read_record(work_dir) or {}
    since = record.get('since') or ''
    pattern = osp.join(work_dir, '*', 'vis_data', 'scalars.json')
    for path in sorted(glob.glob(pattern)):
        launch = osp.basename(osp.dirname(osp.dirname(path)))
        if launch < since:
            continue
        with open(path, encoding='utf-8') as f:
            for line in f:
                yield json.loads(line)


def read_val_history(
    work_dir: str, metric: str = 'accuracy/top1'
) -> Dict[int, dict]:
    """``{step: record}`` of the validation records of the run in dir
    (a resumed launch's records replace the earlier ones of its steps)."""
    return {
        record['step']: record
        for record in _launch_records(work_dir)
        if metric in record
    }


# the learning rate a training record logs: one optimizer's, or the
# student's where a run has several (SAMKD, MS-MGANs)
LR_KEYS = ('lr', 'architecture.lr')


def read_last_lr(work_dir: str) -> Optional[float]:
    """The learning rate of the run's last logged training step: where a
    schedule ended (0.05 to 0.0009 annealed over the run; 0.0375 where a
    shortened run stopped a quarter of the way down)."""
    last = None
    for record in _launch_records(work_dir):
        for key in LR_KEYS:
            if key in record:
                last = record[key]
    return last


def counts_epochs(cfg: Config) -> bool:
    """Whether a run of ``cfg`` counts its steps in epochs (its
    validations, checkpoints and logged records), not iterations."""
    train_cfg = cfg.get('train_cfg') or {}
    return train_cfg.get('by_epoch', True) and 'max_epochs' in train_cfg


def step_unit(cfg: Config) -> str:
    """``'epoch'`` or ``'iter'``: the steps a run of ``cfg`` counts, as
    MMEngine names them (``max_epochs``, ``iter_400.pth``)."""
    return 'epoch' if counts_epochs(cfg) else 'iter'


def planned_length(cfg: Config) -> int:
    """The step of the last validation of a finished run of ``cfg``."""
    train_cfg = cfg.train_cfg
    return train_cfg.max_epochs if counts_epochs(cfg) else train_cfg.max_iters


def is_finished(
    work_dir: str, cfg: Config, metric: str = 'accuracy/top1'
) -> bool:
    """Whether ``work_dir`` holds a run of ``cfg`` validated at its end."""
    return max(read_val_history(work_dir, metric), default=0) >= (
        planned_length(cfg)
    )
