"""Which runs a comparison holds, where they live, and whether what a
work dir holds may be reported as one of them."""

import copy
import os
import os.path as osp
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
)

from mmengine.config import Config

from mmsamkd.errors import ConfigError, MmsamkdError
from mmsamkd.utils.registered_types import type_name
from mmsamkd.utils.run_results import (
    RECORD,
    counts_epochs,
    planned_length,
    read_record,
    read_val_history,
    record_mismatch,
    step_unit,
)

DEFAULT_ROOT = 'work_dirs'

# (config file, work dir, loaded config), and with the options that
# compare.py gives on top of the file
Run = Tuple[str, str, Config]
LoadedRun = Tuple[str, str, Config, Dict[str, Any]]


def inputs_read(cfg: Config) -> Dict[str, Any]:
    """``{option: path or list of paths}``: the files a run starts from
    (its ``load_from``, teacher checkpoint and MS-MGANs' snapshots)."""
    model = cfg.get('model', {})
    return {
        'load_from': cfg.get('load_from'),
        'model.teacher_ckpt': model.get('teacher_ckpt'),
        'model.teacher_snapshots': list(model.get('teacher_snapshots') or []),
    }


def same_root_paths(cfg: Config, work_dir_root: str) -> Dict[str, Any]:
    """Options pointing the files a config reads into the root.

    Configs name the runs they read as ``work_dirs/<run>/...`` (the default
    root); under another ``--work-dir-root`` those runs are there instead.
    """
    if osp.normpath(work_dir_root) == DEFAULT_ROOT:
        return {}

    def moved(path):
        parts = str(path).split('/')
        if parts[0] != DEFAULT_ROOT:
            return path
        return '/'.join([work_dir_root.rstrip('/')] + parts[1:])

    options = {}
    for key, value in inputs_read(cfg).items():
        if isinstance(value, list):
            if [moved(p) for p in value] != value:
                options[key] = [moved(p) for p in value]
        elif value and moved(value) != value:
            options[key] = moved(value)
    return options


def final_checkpoint(cfg: Config) -> str:
    """The file name of the last checkpoint a run of ``cfg`` saves."""
    return f'{step_unit(cfg)}_{planned_length(cfg)}.pth'


def follow_final_checkpoints(loaded: Sequence[LoadedRun]) -> None:
    """Point each run that reads another listed run's final checkpoint
    (a student's ``teacher_ckpt``, a teacher stage's ``load_from``) at the
    final checkpoint that run saves under this command's options.

    Configs name it as the shipped schedule leaves it (``epoch_12.pth``);
    a comparison shortened with ``--cfg-options train_cfg.max_epochs=1``
    saves ``epoch_1.pth`` instead. Snapshot lists name chosen epochs and
    are left as they are.
    """
    from mmengine.config import Config

    finals = {}
    for config, work_dir, cfg, _ in loaded:
        shipped = final_checkpoint(Config.fromfile(config))
        finals[osp.abspath(work_dir)] = (shipped, final_checkpoint(cfg))
    for _, _, cfg, options in loaded:
        for key, path in inputs_read(cfg).items():
            if not path or isinstance(path, list):
                continue
            folder, name = osp.split(osp.abspath(str(path)))
            shipped, now = finals.get(folder, (None, None))
            if name == shipped != now:
                options[key] = osp.join(osp.dirname(str(path)), now)
                cfg.merge_from_dict({key: options[key]})


def checkpoint_hook(cfg: Config) -> Any:
    """The checkpoint hook a run of ``cfg`` builds: its
    ``default_hooks.checkpoint``, MMEngine's default where the config
    names none, or None where it is switched off."""
    return (cfg.get('default_hooks') or {}).get(
        'checkpoint', dict(type='CheckpointHook', interval=1)
    )


def saved_steps(cfg: Config) -> Optional[List[int]]:
    """The steps at which a run of ``cfg`` saves a checkpoint
    (``epoch_4.pth``, ``iter_400.pth``) whatever its accuracy: every
    ``interval`` steps from ``save_begin`` and, under ``save_last``, its
    last, as MMEngine's ``CheckpointHook`` does; None for a checkpoint
    hook of another type. (The hook also saves one at each new best
    validation after its first save.)"""
    hook = checkpoint_hook(cfg)
    if not hook:
        return []
    if type_name(hook) not in ('', 'CheckpointHook'):
        return None
    length = planned_length(cfg)
    interval = hook.get('interval', -1)
    begin = hook.get('save_begin', 0)
    last = hook.get('save_last', True)
    return [
        step
        for step in range(1, length + 1)
        if (interval > 0 and step >= begin and (step - begin) % interval == 0)
        or (last and step == length)
    ]


def validated_steps(cfg: Config) -> List[int]:
    """The steps at which a run of ``cfg`` validates, as MMEngine's loops
    do: from ``val_begin``, every ``val_interval`` steps, and the last."""
    train_cfg = cfg.get('train_cfg') or {}
    interval = train_cfg.get('val_interval', 1)
    begin = train_cfg.get('val_begin', 1)
    if cfg.get('val_cfg') is None or not isinstance(interval, int):
        return []
    length = planned_length(cfg)
    return [
        step
        for step in range(1, length + 1)
        if step >= begin and (step % interval == 0 or step == length)
    ]


def step_of(cfg: Config, name: str) -> Optional[int]:
    """The step a checkpoint file ``name`` of a run of ``cfg`` was saved
    at (``epoch_4.pth``: 4), or None for another name (``best_*.pth``,
    the other unit's)."""
    stem, _, step = name.partition('_')
    step = step[: -len('.pth')] if step.endswith('.pth') else ''
    return int(step) if stem == step_unit(cfg) and step.isdigit() else None


def why_not_kept(cfg: Config, name: str) -> Optional[str]:
    """Why a finished run of ``cfg`` may not hold the checkpoint ``name``,
    or None where it does (or that cannot be told)."""
    step = step_of(cfg, name)
    if step is None:
        return None
    if step > planned_length(cfg):
        unit = 'epoch' if counts_epochs(cfg) else 'iteration'
        return f'trains only {planned_length(cfg)} {unit}s'
    saved = saved_steps(cfg)
    if saved is None:
        return None

    def listed(steps):
        names = [f'{step_unit(cfg)}_{k}.pth' for k in steps]
        if len(names) > 3:
            names = [names[0], '...', names[-1]]
        return ', '.join(names) or 'none'

    hook = checkpoint_hook(cfg) or {}
    if step not in saved:
        settings = ', '.join(
            f'{key}={hook[key]}'
            for key in ('interval', 'save_begin', 'save_last')
            if key in hook
        )
        return (
            'does not save it at its checkpoint interval '
            f'(default_hooks.checkpoint: {settings or "None"}; it saves '
            f'{listed(saved)})'
        )
    keep = hook.get('max_keep_ckpts', -1)
    if keep > 0 and step not in saved[-keep:]:
        return (
            f'removes it (default_hooks.checkpoint.max_keep_ckpts={keep} '
            f'keeps {listed(saved[-keep:])})'
        )
    # after its first save, a validation that sets a new best saves its
    # step too, and that save counts against max_keep_ckpts
    best = []
    if hook.get('save_best'):
        best = [
            k for k in validated_steps(cfg) if k > saved[0] and k not in saved
        ]
    if keep > 0 and len([k for k in saved + best if k > step]) >= keep:
        return (
            f'may remove it (default_hooks.checkpoint.max_keep_ckpts={keep} '
            f'keeps the newest {keep} of {listed(saved)} and of '
            f'{listed(best)}, which it saves where a validation sets a new '
            'best)'
        )
    return None


def check_inputs_saved(loaded: Sequence[LoadedRun]) -> None:
    """Refuse, before anything trains, a run that starts from a checkpoint
    that another listed run will not hold at its end under this command's
    options: MS-MGANs' snapshots ``epoch_4.pth`` (and ``8``, ``12``) of a
    teacher shortened to 2 epochs, or one that keeps a single checkpoint,
    failed only at the student's turn, after the teacher had trained,
    with a line that said to train the teacher."""
    by_dir = {
        osp.abspath(work_dir): (config, cfg)
        for config, work_dir, cfg, _ in loaded
    }
    for config, _, cfg, _ in loaded:
        for key, value in inputs_read(cfg).items():
            for path in value if isinstance(value, list) else [value]:
                folder, name = osp.split(osp.abspath(str(path or '')))
                if not path or folder not in by_dir:
                    continue
                source, source_cfg = by_dir[folder]
                why = why_not_kept(source_cfg, name)
                if why is None:
                    continue
                raise ConfigError(
                    f'{config}: {key} names {name} of the run of {source}, '
                    f'which under these options {why}: this run would '
                    'stop at its start, after that one trained. Make '
                    'that run keep it (its schedule, its checkpoint '
                    'hook), or compare a config that names a checkpoint '
                    'it keeps.'
                )


def depends_on(cfg: Config, work_dir: str) -> bool:
    """Whether ``cfg`` reads a file (teacher, snapshot, weights) from
    ``work_dir``."""
    inside = osp.abspath(work_dir) + os.sep
    paths = []
    for value in inputs_read(cfg).values():
        paths += value if isinstance(value, list) else [value]
    return any(
        path and osp.abspath(str(path)).startswith(inside) for path in paths
    )


def check_reusable(
    config: str,
    work_dir: str,
    cfg: Config,
    metric: str,
    processes: Optional[int] = 1,
) -> None:
    """Refuse a work dir holding a run of other settings (or of unknown
    ones): its numbers would be reported as this config's.
    ``processes``: how many the run would be trained on (compare.py
    trains on one); None takes a finished run as it was trained (its
    step size and code)."""
    record = read_record(work_dir)
    mismatch = record_mismatch(record, cfg, processes)
    if mismatch:
        # one differing only in its step size or in the code that trained
        # it is still a run of this config, to report as trained
        as_trained = (
            ' (--collect-only reports runs as they were trained)'
            if processes and record_mismatch(record, cfg, None) is None
            else ''
        )
        raise MmsamkdError(
            f'{work_dir} holds a run of {config} with other settings '
            f"({mismatch}); its numbers are not this run's. Use another "
            f'--work-dir-root, or remove that dir to retrain{as_trained}.'
        )
    if record is None and read_val_history(work_dir, metric):
        raise MmsamkdError(
            f'{work_dir} holds a run without {RECORD} (not trained by '
            'tools/train.py, or before records), so its settings are '
            'unknown. Use another --work-dir-root, or remove that dir.'
        )


def check_not_ahead_of_teachers(
    runs: Sequence[Run], todo: Sequence[Run]
) -> None:
    """Refuse a finished run whose teacher (or ``load_from``) run is to be
    trained now: it was distilled from weights that are gone, and would
    be reported beside a teacher it never saw."""
    for config, work_dir, cfg in runs:
        if any(work_dir == run[1] for run in todo):
            continue
        for _, source, _ in todo:
            if depends_on(cfg, source):
                raise MmsamkdError(
                    f'{work_dir} holds a finished run of {config} trained '
                    f'from {source}, which holds no finished run now (it '
                    'was removed or changed): its numbers come from weights'
                    ' that are gone. Remove that dir to retrain it too.'
                )


def seeded_runs(
    loaded: Iterable[LoadedRun],
    work_dir_root: str,
    seeds: Optional[Sequence[int]],
) -> Iterator[LoadedRun]:
    """Expand ``[(config, work_dir, cfg, options)]`` over ``seeds``.

    A run that another listed run reads (its teacher, its ``load_from``)
    is trained once and shared, as a published teacher is; every other
    run is trained once per seed in ``<root>/seed<N>/<config name>``.
    """
    sources = {
        work_dir
        for _, work_dir, _, _ in loaded
        if any(depends_on(other, work_dir) for _, _, other, _ in loaded)
    }
    for config, work_dir, cfg, options in loaded:
        if not seeds or work_dir in sources:
            yield config, work_dir, cfg, options
            continue
        for seed in seeds:
            seed_option = {'randomness.seed': seed}
            seeded = copy.deepcopy(cfg)
            seeded.merge_from_dict(seed_option)
            yield (
                config,
                osp.join(work_dir_root, f'seed{seed}', osp.basename(work_dir)),
                seeded,
                dict(options, **seed_option),
            )
