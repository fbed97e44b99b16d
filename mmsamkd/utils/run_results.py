"""Read what mmengine wrote about a training run (for compare, benchmarks)."""

import glob
import json
import os.path as osp


def read_val_history(work_dir, metric='accuracy/top1'):
    """``{step: record}`` of the validation records of every run in dir.

    mmengine's LocalVisBackend writes ``<timestamp>/vis_data/scalars.json``
    per launch; a resumed run starts a new timestamp, so later files win.
    """
    history = {}
    pattern = osp.join(work_dir, '*', 'vis_data', 'scalars.json')
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding='utf-8') as f:
            for line in f:
                record = json.loads(line)
                if metric in record:
                    history[record['step']] = record
    return history


def planned_length(cfg):
    """The step of the last validation of a finished run of ``cfg``."""
    train_cfg = cfg.train_cfg
    if train_cfg.get('by_epoch', True) and 'max_epochs' in train_cfg:
        return train_cfg.max_epochs
    return train_cfg.max_iters


def is_finished(work_dir, cfg, metric='accuracy/top1'):
    """Whether ``work_dir`` holds a run of ``cfg`` validated at its end."""
    return max(read_val_history(work_dir, metric), default=0) >= (
        planned_length(cfg)
    )
