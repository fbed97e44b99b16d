"""Train (or collect) several configs and tabulate them: the engine of
``tools/compare.py`` (see its ``--help`` for what a comparison does)."""

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmsamkd.engine.optimizers import use_mixed_precision
from mmsamkd.errors import ConfigError, MmsamkdError
from mmsamkd.utils.cli import read_config
from mmsamkd.utils.config_check import check_settings
from mmsamkd.utils.config_keys import check_overrides
from mmsamkd.utils.evaluation_settings import (
    metric_direction,
    metrics_given_instead,
)
from mmsamkd.utils.registered_types import check_run_parts
from mmsamkd.utils.run_results import (
    describe_dataset,
    describe_evaluation,
    is_finished,
    read_val_history,
)
from mmsamkd.utils.training_settings import check_seed

from .html_report import write_report
from .pictures import plot_accuracy_vs_cost, plot_curves, plot_reliability
from .report import summarize, write_table
from .runs import (
    check_inputs_saved,
    check_not_ahead_of_teachers,
    check_reusable,
    follow_final_checkpoints,
    same_root_paths,
    seeded_runs,
)
from .scheduler import train_all

__all__ = ['compare']


def compare(
    train_script: str,
    configs: Sequence[str],
    work_dir_root: str,
    out_dir: str,
    metric: str,
    collect_only: bool,
    cfg_options: Optional[Dict[str, Any]],
    jobs: int,
    mixed_datasets: bool,
    seeds: Optional[Sequence[int]],
    amp: bool,
) -> Tuple[List[dict], str]:
    """Train what is not finished, then tabulate (``tools/compare.py``).

    ``amp``: every run trains with ``tools/train.py --amp``; a run is
    then reused only if it was trained so too. No argument has a default:
    each is one of compare.py's options, and a default here would be a
    second one that could drift from the tool's.
    """
    loaded = []
    for config in configs:
        cfg = read_config(config, 'tools/compare.py CONFIG [CONFIG ...]')
        # before any run trains, not when this one's turn comes
        check_run_parts(cfg, 'train', config)
        try:
            if cfg_options:
                check_overrides(cfg, cfg_options)
                cfg.merge_from_dict(cfg_options)  # e.g. a shorter schedule
            if amp:  # as train.py will: the run records must match
                use_mixed_precision(cfg)
            work_dir = osp.join(
                work_dir_root, osp.splitext(osp.basename(config))[0]
            )
            options = same_root_paths(cfg, work_dir_root)
            cfg.merge_from_dict(options)
            check_settings(cfg)
            if not cfg.get('val_dataloader'):
                raise ConfigError(
                    'the run has no validation (val_dataloader is None), '
                    "and the table is made of each run's validation "
                    'records. Give it val_dataloader, val_cfg and '
                    'val_evaluator.'
                )
            if metric.startswith('teacher.'):
                raise ConfigError(
                    f'--metric {metric!r} scores the teacher, which every '
                    "student's row gives in its teacher column already, and "
                    'which runs without a teacher never log. Compare by the '
                    "trained model's metric ("
                    + metric.partition('.')[2]
                    + ').'
                )
            given = metrics_given_instead(cfg, metric)
            if given:
                raise ConfigError(
                    f'--metric {metric!r} is not a metric of its validation '
                    f'(it gives {", ".join(given)}): the runs '
                    'would train and give the table nothing to read. Name '
                    'one of those'
                    + (
                        ", or add the k to val_evaluator's topk."
                        if '/top' in metric
                        else '.'
                    )
                )
            if metric_direction(cfg, metric) is None:
                # before: 'best' was the highest, whatever the metric
                raise ConfigError(
                    f'--metric {metric!r}: neither its evaluator nor its '
                    'name says whether a higher or a lower value is '
                    'better, so the table could not say which validation '
                    'was the best. Compare by a metric of Accuracy or '
                    'TransferMetric (accuracy/top1, transfer/ece, ...).'
                )
        except ConfigError as error:
            raise ConfigError(f'{config}: {error}') from None
        loaded.append((config, work_dir, cfg, options))
    follow_final_checkpoints(loaded)
    check_inputs_saved(loaded)
    runs, run_options = [], {}
    for config, work_dir, cfg, options in seeded_runs(
        loaded, work_dir_root, seeds
    ):
        if work_dir in run_options:
            # two runs side by side in one dir would overwrite each other
            raise MmsamkdError(
                f'{work_dir} would hold two runs: a config or seed is '
                'listed twice (or two configs share a file name)'
            )
        run_options[work_dir] = options
        try:  # a --seeds value, before the runs it does not seed train
            check_seed(cfg)
        except ConfigError as error:
            raise ConfigError(f'--seeds: {error}') from None
        # compare.py trains on one process; finished runs are read as is
        check_reusable(
            config, work_dir, cfg, metric, None if collect_only else 1
        )
        runs.append((config, work_dir, cfg))
    for what, describe in (
        ('train on', describe_dataset),
        ('are evaluated on', describe_evaluation),
    ):
        datasets = {describe(cfg) for _, _, cfg in runs}
        if len(datasets) > 1 and not mixed_datasets:
            raise MmsamkdError(
                f'these configs {what} different data '
                f'({", ".join(sorted(datasets))}): their accuracies are not '
                'comparable in one table. Compare each dataset apart, or '
                'pass --mixed-datasets.'
            )
    todo = [run for run in runs if not is_finished(run[1], run[2], metric)]
    check_not_ahead_of_teachers(runs, todo)
    if todo and collect_only:
        raise MmsamkdError(
            f'{todo[0][0]} has no finished run in {todo[0][1]}; drop '
            '--collect-only to train it'
        )
    trainer = [train_script] + (['--amp'] if amp else [])
    train_all(trainer, todo, cfg_options, jobs, run_options)
    rows = []
    for config, work_dir, cfg in runs:
        history = read_val_history(work_dir, metric)
        if not history:
            raise MmsamkdError(f'{work_dir} holds no {metric!r} records')
        rows.append(
            summarize(
                config,
                work_dir,
                history,
                metric,
                cfg,
                lower_is_better=metric_direction(cfg, metric) == 'less',
            )
        )
    markdown = write_table(rows, out_dir, metric)
    pictures = [plot_curves(rows, out_dir, metric)]
    pictures.append(plot_accuracy_vs_cost(rows, out_dir, metric))
    pictures.append(plot_reliability(rows, out_dir))
    write_report(markdown, [p for p in pictures if p], out_dir)
    return rows, markdown
