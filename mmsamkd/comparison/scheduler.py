"""Training the runs of a comparison: one ``tools/train.py`` process per
run, up to N at once, each after the runs it reads."""

import glob
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config

from mmsamkd.errors import MmsamkdError
from mmsamkd.utils.process_ownership import die_with_parent
from mmsamkd.utils.run_results import planned_length

from .runs import Run, depends_on


def option_text(value: Any) -> str:
    """A value as ``--cfg-options`` reads it (a list without spaces)."""
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(str(v) for v in value) + ']'
    return str(value)


def train_command(
    trainer: Sequence[str],
    config: str,
    work_dir: str,
    cfg_options: Optional[Dict[str, Any]],
) -> List[str]:
    """``trainer``: ``tools/train.py``'s path and the flags every run
    gets (``--amp``)."""
    command = [sys.executable, *trainer, config, '--work-dir', work_dir]
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        command.append('--resume')
    if cfg_options:
        command += ['--cfg-options'] + [
            f'{key}={option_text(value)}' for key, value in cfg_options.items()
        ]
    return command


def visible_gpus() -> List[str]:
    """The GPUs a child process may use, as ``CUDA_VISIBLE_DEVICES`` names
    them (indices or UUIDs); none on a CPU machine."""
    import torch

    if not torch.cuda.is_available():
        return []
    names = os.environ.get('CUDA_VISIBLE_DEVICES')
    if names is None:
        return [str(i) for i in range(torch.cuda.device_count())]
    return [name.strip() for name in names.split(',') if name.strip()]


PROGRESS_SECONDS = 30
_TRAIN_LINE = re.compile(
    r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\].*?eta: (\S+)'
)
_VAL_LINE = re.compile(r'Epoch\(val\).*?accuracy/top1: ([\d.]+)')


def progress_line(config: str, work_dir: str, cfg: Config) -> str:
    """Where a run that logs to ``compare_train.log`` stands: its epoch
    and iteration, MMEngine's ETA and its last validation accuracy."""
    name = osp.splitext(osp.basename(config))[0]
    try:
        with open(osp.join(work_dir, 'compare_train.log'), 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            tail = f.read().decode('utf-8', 'replace')
    except OSError:
        return f'   {name}: starting'
    trains = _TRAIN_LINE.findall(tail)
    vals = _VAL_LINE.findall(tail)
    if not trains:
        return f'   {name}: starting'
    epoch, it, per_epoch, eta = trains[-1]
    line = (
        f'   {name}: epoch {epoch}/{planned_length(cfg)}, '
        f'iteration {it}/{per_epoch}, eta {eta}'
    )
    return line + (f', last val top-1 {vals[-1]}' if vals else '')


def train_all(
    trainer: Sequence[str],
    runs: Sequence[Run],
    cfg_options: Optional[Dict[str, Any]],
    jobs: int,
    run_options: Optional[Dict[str, Any]] = None,
) -> None:
    """Train ``[(config, work_dir, cfg)]`` with ``trainer`` (see
    :func:`train_command`), up to ``jobs`` at once.

    A run waits for the listed runs it depends on (see
    :func:`depends_on`), before or after it in the list; a failure stops
    the queue after the runs in flight end. With ``jobs > 1``, each of
    the ``jobs`` slots keeps one visible GPU, so that runs side by side do
    not all land on the first.
    """
    env = dict(os.environ)
    gpus = visible_gpus() if jobs > 1 else []
    if jobs > 1:
        env.setdefault('OMP_NUM_THREADS', str(max(1, os.cpu_count() // jobs)))
    # what each run waits for, wherever listed: before, a teacher listed
    # after its student was not waited for, and the student stopped at
    # its start ("teacher_ckpt ... does not exist")
    needs = [
        {
            j
            for j in range(len(runs))
            if j != index and depends_on(runs[index][2], runs[j][1])
        }
        for index in range(len(runs))
    ]
    waiting = list(range(len(runs)))
    running, done, failed = {}, set(), []
    free_slots = list(range(jobs))
    last_progress = time.monotonic()
    while waiting or running:
        for index in list(waiting):
            if failed or len(running) >= jobs or not needs[index] <= done:
                continue
            waiting.remove(index)
            config, work_dir, _ = runs[index]
            options = dict(
                cfg_options or {}, **(run_options or {}).get(work_dir, {})
            )
            command = train_command(trainer, config, work_dir, options)
            print(f'== training {config} in {work_dir}', flush=True)
            slot = free_slots.pop(0)
            run_env = dict(env)
            if gpus:
                run_env['CUDA_VISIBLE_DEVICES'] = gpus[slot % len(gpus)]
            log = None  # one run at a time prints to the terminal
            if jobs > 1:
                os.makedirs(work_dir, exist_ok=True)
                log = open(osp.join(work_dir, 'compare_train.log'), 'a')
            process = subprocess.Popen(
                command,
                env=run_env,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                preexec_fn=die_with_parent,  # no trainer outlives compare.py
            )
            running[index] = (process, log, slot)
        if not running:
            break  # what is left waits on a failed run, or on each other
        time.sleep(0.5)
        if jobs > 1 and time.monotonic() - last_progress >= PROGRESS_SECONDS:
            # the runs log to files: say where they stand
            last_progress = time.monotonic()
            for index in sorted(running):
                print(progress_line(*runs[index]), flush=True)
        for index, (process, log, slot) in list(running.items()):
            if process.poll() is None:
                continue
            del running[index]
            free_slots.append(slot)
            if log:
                log.close()
            config, work_dir, _ = runs[index]
            if process.returncode:
                failed.append(index)
            else:
                done.add(index)
                print(f'== finished {config}', flush=True)
    if waiting and not failed:
        names = ' and '.join(runs[index][0] for index in waiting)
        raise MmsamkdError(
            f'{names} read checkpoints of one another (teacher_ckpt, '
            'load_from): none can train first. Point each at a run that '
            'does not read it.'
        )
    if failed:
        config, work_dir, _ = runs[failed[0]]
        if jobs > 1:
            where = f'its output is in {work_dir}/compare_train.log'
        else:
            where = 'its error is printed above'
        if glob.glob(osp.join(work_dir, '*.pth')):
            fix = 'Rerun the same command to resume it'
        else:
            fix = 'It saved no checkpoint: fix the cause, then rerun'
        raise MmsamkdError(f'training {config} failed; {where}. {fix}.')
