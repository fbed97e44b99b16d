"""Train any mmsamkd / MMRazor / MMPretrain config.

python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]
    [--amp] [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]
"""

import argparse
import glob
import os
import os.path as osp
import sys


class CfgOptions(argparse.Action):
    """``--cfg-options``, read by mmsamkd's own action, imported only when
    the option is given: ``--help`` answers before torch loads."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmsamkd.utils.cli import CfgOptionsAction

        read = CfgOptionsAction(self.option_strings, self.dest)
        read(parser, namespace, values, option_string)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from PATH, or from the latest checkpoint in the work '
        'dir when no path is given',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: fp16 on a GPU, bf16 on a CPU that has it',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help="scale the learning rates to this launch's batch (processes x "
        'batch_size / auto_scale_lr.base_batch_size), as MMEngine does',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptions,
        help='override config settings, e.g. model.teacher_ckpt=PATH',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument(
        '--local-rank',
        '--local_rank',
        type=int,
        default=0,
        help='set by torch.distributed.launch; not given by hand',
    )
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_cfg(args):
    from mmsamkd.utils.cli import read_config
    from mmsamkd.utils.config_keys import check_overrides
    from mmsamkd.utils.registered_types import check_run_parts

    cfg = read_config(args.config, 'tools/train.py CONFIG [options]')
    check_run_parts(cfg, 'train', args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        check_overrides(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0]
        )
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr') or {}, enable=True)
    if args.amp:
        from mmsamkd.engine.optimizers import use_mixed_precision

        use_mixed_precision(cfg)
    if args.resume == 'auto':
        if osp.isfile(osp.join(cfg.work_dir, 'last_checkpoint')):
            cfg.resume = True
            cfg.load_from = None
        else:
            # nothing to resume yet: start as a fresh run would, keeping a
            # configured load_from (mmengine would drop it)
            print(
                f'--resume: no checkpoint in {cfg.work_dir} yet; starting '
                f'from {cfg.get("load_from") or "scratch"}',
                flush=True,
            )
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def holds_checkpoints(cfg):
    return bool(glob.glob(osp.join(cfg.work_dir, '*.pth')))


def main():
    args = parse_args()
    import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
    from mmsamkd.errors import MmsamkdError
    from mmsamkd.utils import check_config
    from mmsamkd.utils.cli import BUILD_ERRORS, build_error, check_work_dir
    from mmsamkd.utils.distributed import (
        check_launch,
        end_distributed,
        launch_world_size,
        slurm_job_port,
        stalled_collective,
    )
    from mmsamkd.utils.process_ownership import (
        die_with_parent,
        hold_lock,
        launch_rank,
    )
    from mmsamkd.utils.run_results import (
        read_record,
        record_mismatch,
        run_record,
        write_record,
    )

    cfg = None
    try:
        cfg = build_cfg(args)
        check_work_dir(cfg.work_dir)
        check_config(cfg)
        check_launch(cfg.launcher)
        if cfg.launcher == 'slurm':
            slurm_job_port(os.environ)
        if os.environ.get('TORCHELASTIC_RUN_ID'):
            die_with_parent()  # a rank ends with torchrun's agent
        if launch_rank() == 0:  # one lock per run, not per rank
            lock = hold_lock(cfg.work_dir)  # noqa: F841 (held till exit)
        record = read_record(cfg.work_dir)
        processes = launch_world_size(cfg.launcher)
        mismatch = record_mismatch(record, cfg, processes)
        if cfg.get('resume') and mismatch:
            raise MmsamkdError(
                f'{cfg.work_dir} holds a run of other settings ({mismatch}'
                '); resuming it would merge the two runs. Use another '
                '--work-dir, or remove that one to start over.'
            )
        source = cfg.get('resume') and cfg.get('load_from')
        if source and osp.dirname(osp.abspath(source)) != osp.abspath(
            cfg.work_dir
        ):
            # a checkpoint of another dir: its run's settings, not only
            # this dir's, must be these
            other = record_mismatch(
                read_record(osp.dirname(osp.abspath(source))), cfg, processes
            )
            if other:
                raise MmsamkdError(
                    f'{source} was saved by a run of other settings ({other}'
                    f'); resumed in {cfg.work_dir}, it would be recorded as '
                    'a run of these settings that trained its first steps '
                    'with those. Continue it in its own dir with its '
                    'settings, or, if it holds this model, start a new run '
                    'from its weights with --cfg-options '
                    f'load_from={source} (no --resume).'
                )
        if mismatch and not cfg.get('resume') and holds_checkpoints(cfg):
            raise MmsamkdError(
                f'{cfg.work_dir} holds the checkpoints of a run of other '
                f'settings ({mismatch}); a fresh run there would overwrite '
                'them and leave the rest beside its own. Use another '
                '--work-dir, or remove that one to start over.'
            )
        if not cfg.get('resume') and holds_checkpoints(cfg):
            # same settings: a fresh run would overwrite the epochs it
            # shares with that run and keep its best_*.pth beside its own
            raise MmsamkdError(
                f'{cfg.work_dir} holds the checkpoints of an earlier run of '
                "these settings; a fresh run there would leave that run's "
                'best checkpoint beside its own. Add --resume to continue '
                'it, or use another --work-dir (or remove that one) to start '
                'over.'
            )
        from mmengine.dist import is_main_process
        from mmengine.registry import RUNNERS

        from mmsamkd.engine.runner import MmsamkdRunner

        if 'runner_type' in cfg:
            if cfg.get('channels_last'):
                raise MmsamkdError(
                    f"channels_last is read by mmsamkd's runner, not by "
                    f'runner_type {cfg.runner_type!r}: drop one of the two'
                )
            runner = RUNNERS.build(cfg)
        else:
            runner = MmsamkdRunner.from_cfg(cfg)
        from mmsamkd.engine.hooks import (
            CheckpointFitHook,
            ReliabilityHook,
            RunCostHook,
            TrainedClassesHook,
        )
        from mmsamkd.utils.config_check import loaded_files
        from mmsamkd.utils.training_settings import (
            warn_of_late_milestones,
            warn_of_recipe_batch,
        )

        # run_cost.json and reliability_val.json, for compare.py
        runner.register_hook(RunCostHook())
        runner.register_hook(ReliabilityHook())
        runner.register_hook(TrainedClassesHook(loaded_files(cfg)))
        warn_of_late_milestones(cfg)
        warn_of_recipe_batch(args.config, cfg, processes)
        if cfg.get('resume'):
            runner.register_hook(CheckpointFitHook(args.config, 'resume'))
        elif cfg.get('load_from'):
            runner.register_hook(CheckpointFitHook(args.config, 'load'))
        if is_main_process() and not (cfg.get('resume') and record):
            # a fresh run starts with this launch; a resumed run without a
            # record (made before records) keeps all its launches
            since = None if cfg.get('resume') else runner.timestamp
            write_record(
                cfg.work_dir, run_record(cfg, since=since, processes=processes)
            )
        runner.train()
        del runner  # its DDP model holds the process group
        end_distributed()
    except MmsamkdError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    except BUILD_ERRORS as error:
        problem = build_error(error, cfg, args.cfg_options)
        if not problem:
            raise
        print(f'error: {problem}', file=sys.stderr)
        sys.exit(2)
    except RuntimeError as error:
        stalled = cfg is not None and stalled_collective(error, cfg)
        if not stalled:
            raise
        print(f'error: {stalled}', file=sys.stderr, flush=True)
        # not sys.exit: tearing down a group whose peer is stopped can
        # block or abort
        os._exit(2)


if __name__ == '__main__':
    main()
