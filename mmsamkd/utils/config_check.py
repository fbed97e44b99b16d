"""Checks run on a config before a Runner is built from it.

Each turns a failure that would otherwise surface deep inside torch or
mmengine (a shape mismatch in the first KL, a missing file during model
build) into a :class:`~mmsamkd.errors.ConfigError` naming the fix.
"""

import os
import os.path as osp
from typing import Any, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict

from ..errors import ConfigError
from .checkpoint_files import SUFFIX as CHECKSUM
from .config_keys import check_config_keys
from .distiller_settings import check_distiller
from .evaluation_settings import check_evaluation_settings
from .misplaced_keys import check_checkpoint_arguments
from .paramwise_settings import check_paramwise
from .registered_types import (
    check_loop_parts,
    check_registered_types,
    type_name,
)
from .seen_images import check_evaluation_unseen, learnt_from
from .trained_inputs import (
    checkpoint_meta,
    describe,
    input_normalisation,
    normalisation_differs,
    trained_normalisation,
)
from .training_settings import check_training_settings


def head_class_count(model_cfg: Any) -> Optional[int]:
    """``model_cfg.head.num_classes``, or None where it has no head."""
    head = model_cfg.get('head') if hasattr(model_cfg, 'get') else None
    if hasattr(head, 'get'):
        return head.get('num_classes')
    return None


def _teacher_pretrained(model_cfg):
    teacher = model_cfg.get('teacher')
    init_cfg = teacher.get('init_cfg') if hasattr(teacher, 'get') else None
    return hasattr(init_cfg, 'get') and init_cfg.get('type') == 'Pretrained'


def _not_torch_file(path: str) -> bool:
    """``path`` holds something, but not what ``torch.save`` writes (a
    zip archive, or a pickle in the legacy format)."""
    with open(path, 'rb') as f:
        head = f.read(4)
    return bool(head) and not (head == b'PK\x03\x04' or head[:1] == b'\x80')


def checkpoints_in(folder: str) -> List[str]:
    """The ``.pth`` files in ``folder``, epoch_2 before epoch_12 (and the
    longer best_* names last)."""
    return sorted(
        (n for n in os.listdir(folder) if n.endswith('.pth')),
        key=lambda n: (len(n), n),
    )


def not_a_checkpoint(key: str, path: str) -> Optional[str]:
    """Why ``path`` (a local path) given as ``key`` is no checkpoint file
    though something is there, or None: a folder ("does not exist" would
    mislead), the checksum written beside a checkpoint
    (``epoch_1.pth.sha256``), MMEngine's ``last_checkpoint`` (the text
    that names a run's latest checkpoint) or any other file that torch
    did not write. Before, the unpickler stopped on those in a
    traceback."""
    path = osp.expanduser(path)
    if path.endswith(CHECKSUM) and osp.isfile(path[: -len(CHECKSUM)]):
        return (
            f'{key} {path!r} is the checksum written beside the checkpoint '
            f'{path[: -len(CHECKSUM)]!r}, not a checkpoint: name that file.'
        )
    if osp.isfile(path) and _not_torch_file(path):
        if osp.basename(path) == 'last_checkpoint':
            with open(path, errors='replace') as f:
                named = f.read().strip()
            return (
                f'{key} {path!r} is the file in which MMEngine names the '
                f"run's latest checkpoint ({named!r}), not a checkpoint: "
                'name that file.'
            )
        return (
            f'{key} {path!r} is not a checkpoint: torch.save did not write '
            'it. Name an epoch_N.pth or best_*.pth that tools/train.py '
            'wrote.'
        )
    if not osp.isdir(path):
        return None
    found = checkpoints_in(path)
    inside = f' (it holds {", ".join(found[-3:])})' if found else ''
    return (
        f'{key} {path!r} is a folder, not a checkpoint file: name a '
        f'checkpoint in it{inside}, e.g. {osp.join(path, "epoch_N.pth")}.'
    )


def run_folder_without(path: str) -> Optional[str]:
    """For a missing checkpoint in a folder that holds other checkpoints
    (a run kept some, not this one): what it holds and why, else None.
    "Train the teacher first" misled there: it had trained."""
    folder = osp.dirname(osp.expanduser(path)) or '.'
    found = checkpoints_in(folder) if osp.isdir(folder) else []
    if not found:
        return None
    shown = found if len(found) <= 4 else found[:2] + ['...'] + found[-1:]
    return (
        f'{folder} holds {", ".join(shown)} but not '
        f'{osp.basename(path)}: the run there did not keep it (its schedule'
        ' ended before it, or its default_hooks.checkpoint interval or '
        'max_keep_ckpts left it out). Name a checkpoint it holds, or train'
        ' that run again keeping this one.'
    )


def check_teacher_checkpoint(
    model_cfg: ConfigDict, random_teacher: bool
) -> None:
    """A teacher needs weights: ``teacher_ckpt`` must name an existing file.

    Without one the teacher stays random and the run still exits 0; that
    is allowed only when asked for (``random_teacher=True``, for
    ablations) or when the teacher's ``init_cfg`` loads pretrained weights.
    """
    ckpt = model_cfg.get('teacher_ckpt')
    if not ckpt and not random_teacher and not _teacher_pretrained(model_cfg):
        raise ConfigError(
            'model.teacher_ckpt is not set, so the teacher would stay '
            'random. Set it to the trained teacher (--cfg-options '
            'model.teacher_ckpt=PATH); for a random-teacher ablation, also '
            'set random_teacher=True.'
        )
    local = ckpt and '://' not in ckpt
    problem = local and not_a_checkpoint('teacher_ckpt', ckpt)
    if problem:
        raise ConfigError(problem)
    if local and not osp.isfile(osp.expanduser(ckpt)):
        raise ConfigError(
            f'teacher_ckpt {ckpt!r} does not exist. '
            + (
                run_folder_without(ckpt)
                or 'Train the teacher first (tools/train.py '
                'configs/teachers/<config>.py) or point to its checkpoint '
                'with --cfg-options model.teacher_ckpt=PATH.'
            )
        )
    for snapshot in model_cfg.get('teacher_snapshots') or ():
        local = '://' not in snapshot
        problem = local and not_a_checkpoint('teacher snapshot', snapshot)
        if problem:
            raise ConfigError(problem)
        if local and not osp.isfile(osp.expanduser(snapshot)):
            raise ConfigError(
                f'teacher snapshot {snapshot!r} does not exist. '
                + (
                    run_folder_without(snapshot)
                    or 'Train the snapshot teacher first (tools/train.py '
                    'configs/teachers/<teacher>_snapshots_<...>.py keeps '
                    'them) or set model.teacher_snapshots and '
                    'model.teacher_ckpt.'
                )
            )


def check_class_counts(model_cfg: ConfigDict) -> None:
    """Teacher and student heads must predict the same classes."""
    student = head_class_count(model_cfg.get('architecture', {}))
    teacher = head_class_count(model_cfg.get('teacher', {}))
    if student is not None and teacher is not None and student != teacher:
        raise ConfigError(
            f'teacher predicts {teacher} classes but the student predicts '
            f'{student}: distillation compares their outputs class by '
            'class. Set model.teacher.head.num_classes and '
            "model.architecture.head.num_classes to the dataset's count."
        )


def check_load_from(cfg: Config) -> None:
    """``load_from`` (weights to start or resume from) must exist."""
    path = cfg.get('load_from')
    key = '--resume' if cfg.get('resume') else 'load_from'
    local = path and '://' not in path
    problem = local and not_a_checkpoint(key, path)
    if problem:
        raise ConfigError(problem)
    if local and not osp.isfile(osp.expanduser(path)):
        if cfg.get('resume'):
            raise ConfigError(
                f'--resume {path!r}: no such checkpoint. Give an existing '
                "epoch_N.pth, or plain --resume for the work dir's latest."
            )
        raise ConfigError(
            f'load_from {path!r} does not exist. '
            + (
                run_folder_without(path)
                or 'Train the run it names first (see the comment above '
                'load_from in the config) or set --cfg-options '
                'load_from=PATH.'
            )
        )


def is_frozen_stage(model_cfg: Any) -> bool:
    """Whether ``model_cfg`` trains added heads on a fixed classifier
    (HSAKD's frozen branches, SSKD's projection head)."""
    return 'frozen' in (model_cfg.get('branch_mode'), model_cfg.get('mode'))


def check_frozen_model_loads_weights(cfg: Config) -> None:
    """A frozen-feature stage (HSAKD's branches, SSKD's projection head)
    trains on a fixed, trained classifier: it needs ``load_from``.

    Without it the heads learn on a random network, and the run exits 0
    with a teacher that would mislead every student after it.
    """
    model = cfg.get('model', {})
    frozen = is_frozen_stage(model)
    init_cfg = model.get('init_cfg') or {}
    pretrained = hasattr(init_cfg, 'get') and (
        init_cfg.get('type') == 'Pretrained'
    )
    if frozen and not cfg.get('load_from') and not pretrained:
        raise ConfigError(
            f'{model.get("type")} in frozen mode trains only its added '
            'heads on a fixed network, but load_from is not set, so that '
            'network would be random. Set load_from to the plain '
            "teacher's checkpoint (the comment above load_from in the "
            'config names the run).'
        )


def check_distributed_wrapper(cfg: Config) -> None:
    """A distributed SAMKD run needs :class:`SAMKDDistributedDataParallel`.

    mmengine's default ``MMDistributedDataParallel`` runs its own
    single-optimizer ``train_step`` and a plain
    ``MMSeparateDistributedDataParallel`` searches the student for unused
    parameters; both fail deep inside mmengine or torch.
    """
    if cfg.get('launcher', 'none') == 'none':
        return  # a single process: the model is not wrapped
    from mmrazor.registry import MODEL_WRAPPERS, MODELS

    # the algorithm names its wrapper (a class attribute), so this check
    # needs neither the algorithms nor the wrappers imported here
    model_type = MODELS.get(cfg.get('model', {}).get('type', ''))
    required = getattr(model_type, 'distributed_wrapper', None)
    if required is None:
        return
    wrapper_cfg = cfg.get('model_wrapper_cfg') or {}
    wrapper_name = wrapper_cfg.get('type', 'MMDistributedDataParallel')
    wrapper_type = MODEL_WRAPPERS.get(wrapper_name)
    if not (
        isinstance(wrapper_type, type)
        and issubclass(wrapper_type, MODEL_WRAPPERS.get(required))
    ):
        raise ConfigError(
            'SAMKD trains the student and the discriminators with two '
            'optimizers, which needs model_wrapper_cfg = '
            "dict(type='mmrazor.SAMKDDistributedDataParallel') in a "
            f'distributed run; got {wrapper_name!r}. Inherit '
            'configs/_base_/models/samkd.py or set it in the config.'
        )


def check_val_split_held_out(cfg: Config) -> None:
    """A Fashion-MNIST ``val`` split is never trained on.

    Split ``val`` is the last ``val_size`` training images; the train
    dataset leaves them out only with the same ``val_size``. Without it the
    run would select settings on images it trained on, and exit 0.
    """
    train = cfg.get('train_dataloader', {}).get('dataset', {})
    for loader in ('val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset', {})
        if not str(dataset.get('type', '')).endswith('LocalFashionMNIST'):
            continue
        if dataset.get('split') != 'val':
            continue
        val_size = dataset.get('val_size', 0)
        if train.get('val_size', 0) != val_size:
            raise ConfigError(
                f"{loader} evaluates on split='val' (the last {val_size} "
                'training images) but train_dataloader.dataset.val_size is '
                f'{train.get("val_size", 0)}: the run would train on its '
                'validation images. Set the same val_size on the train '
                'dataset (configs/_base_/datasets/fashion_mnist_5k.py does).'
            )


def check_train_and_evaluation_apart(cfg: Config) -> None:
    """No run trains on the split it is evaluated on.

    ``train_dataloader.dataset.split=test`` trained on the test images and
    reported its accuracy on them, with rc 0. The same dataset type, data
    root and split in training and in an evaluation loader is refused.
    """

    def where(dataset):
        return (
            type_name(dataset),
            dataset.get('data_root'),
            dataset.get('split'),
        )

    train = cfg.get('train_dataloader', {}).get('dataset', {})
    if not hasattr(train, 'get') or train.get('split') is None:
        return
    for loader in ('val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset', {})
        if hasattr(dataset, 'get') and where(dataset) == where(train):
            raise ConfigError(
                f'train_dataloader and {loader} both read split '
                f'{train.get("split")!r} of {train.get("data_root")}: the '
                'run would be evaluated on the images it trains on. Train '
                "on split='train' (Fashion-MNIST, CIFAR, Tiny-ImageNet)."
            )


def dataset_class_count(dataset: Any) -> Optional[int]:
    """How many classes the dataset of a loader config labels, or None
    where that is known only once it is built (a folder of class folders,
    Tiny-ImageNet's ``wnids.txt``). Dataset wrappers are looked through."""
    if not hasattr(dataset, 'get'):
        return None
    if dataset.get('metainfo') and dataset['metainfo'].get('classes'):
        return len(dataset['metainfo']['classes'])
    if 'dataset' in dataset:  # RepeatDataset, ClassBalancedDataset, ...
        return dataset_class_count(dataset['dataset'])
    from mmpretrain.registry import DATASETS

    try:
        dataset_type = DATASETS.get(dataset.get('type'))
    except (KeyError, TypeError):  # another scope's name: leave it to build
        return None
    metainfo = getattr(dataset_type, 'METAINFO', None) or {}
    return len(metainfo.get('classes') or ()) or None


def check_heads_fit_the_data(
    cfg: Config,
    loaders: Sequence[str] = ('train_dataloader', 'val_dataloader'),
) -> None:
    """The classifier's head (a student's) predicts the classes its data
    labels.

    A head of fewer classes stopped inside the loss on the first label it
    could not index (on a GPU, a device-side assert); a head of more trained
    with rc 0 (a config copied from a CIFAR-100 one, with a CIFAR-100
    teacher whose class 3 is not this dataset's class 3).
    """
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset', {})
        problem = head_classes_problem(
            cfg, loader, dataset, dataset_class_count(dataset)
        )
        if problem:
            raise ConfigError(problem)


def head_classes_problem(
    cfg: Config, loader: str, dataset: Any, count: Optional[int]
) -> Optional[str]:
    """Why the classifier's head (a student's) does not predict the
    ``count`` classes that ``loader``'s ``dataset`` config labels, or
    None (also where either count is unknown)."""
    model_cfg = cfg.get('model', {})
    # a teacher's count is the student's (check_class_counts)
    for where, part in (
        ('', model_cfg),
        ('.architecture', model_cfg.get('architecture', {})),
    ):
        predicted = head_class_count(part)
        if None not in (count, predicted) and predicted != count:
            kind = type_name(dataset)
            return (
                f'model{where}.head.num_classes is {predicted} but {loader} '
                f'reads {kind}, which has {count} classes. Set it to '
                f'{count} (a teacher trained on other classes does not fit '
                'this dataset).'
            )
    return None


def check_loss_class_counts(model_cfg: ConfigDict) -> None:
    """A distillation loss that counts classes (CSKD's, ICAKD's centroids
    and memory bank) counts the student's classes.

    With fewer, the first label past its count failed in ``index_add``
    deep inside the loss, epochs into a run.
    """
    student = head_class_count(model_cfg.get('architecture', {}))
    distiller = model_cfg.get('distiller') or {}
    losses = distiller.get('distill_losses') or {}
    for name, loss in losses.items():
        count = loss.get('num_classes') if hasattr(loss, 'get') else None
        if count is not None and student is not None and count != student:
            raise ConfigError(
                f'distill loss {name} counts {count} classes but the '
                f'student predicts {student}. Set '
                f'model.distiller.distill_losses.{name}.num_classes to the '
                "dataset's class count."
            )


def loaded_files(cfg: Config) -> List[Tuple[str, str]]:
    """``(key, path)`` of each local checkpoint whose network this run
    feeds its own inputs: the teacher, its snapshots, and a
    frozen-feature stage's ``load_from`` (not a resume: its own run)."""
    model_cfg = cfg.get('model') or {}
    if not hasattr(model_cfg, 'get'):
        return []
    frozen = is_frozen_stage(model_cfg)
    return [
        (key, path)
        for key, path in learnt_from(cfg)
        if key != 'load_from' or frozen
    ]


def check_teacher_inputs(cfg: Config) -> None:
    """The teacher (and its snapshots) get inputs normalised as in the
    run that trained them; a frozen-feature stage's ``load_from`` too."""
    used = input_normalisation(cfg)
    for key, path in loaded_files(cfg):
        trained = trained_normalisation(checkpoint_meta(path))
        if normalisation_differs(trained, used):
            raise ConfigError(
                f'{key} {path} was trained on inputs normalised with '
                f'{describe(trained)}, but this run normalises with '
                f'{describe(used)}: the network would see inputs it was '
                'never trained on. Set model.data_preprocessor (mean, std, '
                "to_rgb) to the checkpoint's, or use a checkpoint trained "
                'with this normalisation.'
            )


def check_evaluated_inputs(cfg: Config, checkpoint: str, config: str) -> None:
    """``tools/test.py``: the checkpoint under test gets inputs normalised
    as in the run that trained it."""
    trained = trained_normalisation(checkpoint_meta(checkpoint))
    used = input_normalisation(cfg)
    if normalisation_differs(trained, used):
        raise ConfigError(
            f'{checkpoint} was trained on inputs normalised with '
            f'{describe(trained)}, but {config} normalises with '
            f'{describe(used)}: its accuracy would be that of inputs it '
            'never saw. Test it with the config it was trained with.'
        )


def check_settings(cfg: Config) -> None:
    """The checks that read the config alone, no file it names:
    ``tools/compare.py`` runs them on every listed run before it trains
    the first (the teachers' checkpoints may not exist yet)."""
    check_config_keys(cfg)
    check_registered_types(cfg)
    check_loop_parts(cfg)
    check_training_settings(cfg)
    check_paramwise(cfg)
    check_distiller(cfg)
    check_evaluation_settings(cfg)
    check_checkpoint_arguments(cfg)
    check_frozen_model_loads_weights(cfg)
    check_val_split_held_out(cfg)
    check_train_and_evaluation_apart(cfg)
    check_distributed_wrapper(cfg)
    model_cfg = cfg.get('model', {})
    if 'teacher' in model_cfg:
        check_class_counts(model_cfg)
        check_loss_class_counts(model_cfg)
    check_heads_fit_the_data(cfg)


def check_config(cfg: Config) -> None:
    """Run every check that applies to ``cfg`` (an mmengine Config)."""
    check_settings(cfg)
    check_load_from(cfg)
    model_cfg = cfg.get('model', {})
    if 'teacher' in model_cfg:
        check_teacher_checkpoint(
            model_cfg, random_teacher=cfg.get('random_teacher', False)
        )
    check_teacher_inputs(cfg)
    check_evaluation_unseen(cfg)
