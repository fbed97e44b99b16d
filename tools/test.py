"""Evaluate a checkpoint with a config (distillation or plain classifier).

python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
    [--cfg-options k=v ...] [--launcher pytorch]
"""

import argparse
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
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptions,
        help='override config settings',
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


def main():
    args = parse_args()
    import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)
    from mmsamkd.errors import MmsamkdError
    from mmsamkd.utils.cli import (
        BUILD_ERRORS,
        build_error,
        check_checkpoint_file,
        check_work_dir,
        read_config,
    )
    from mmsamkd.utils.config_check import (
        check_evaluated_inputs,
        check_heads_fit_the_data,
    )
    from mmsamkd.utils.config_keys import check_config_keys, check_overrides
    from mmsamkd.utils.distiller_settings import check_distiller
    from mmsamkd.utils.distributed import check_launch, end_distributed
    from mmsamkd.utils.evaluation_settings import (
        check_accuracy_topk,
        check_evaluation_loaders,
    )
    from mmsamkd.utils.registered_types import (
        check_loop_parts,
        check_registered_types,
        check_run_parts,
    )
    from mmsamkd.utils.seen_images import check_test_unseen
    from mmsamkd.utils.training_settings import check_loaders

    cfg = None
    try:
        from mmengine.dist import is_main_process

        from mmsamkd.engine.runner import MmsamkdRunner

        usage = 'tools/test.py CONFIG CHECKPOINT [options]'
        cfg = read_config(args.config, usage)
        check_checkpoint_file(args.checkpoint, usage)
        check_run_parts(cfg, 'test', args.config)
        cfg.launcher = args.launcher
        if args.cfg_options:
            check_overrides(cfg, args.cfg_options)
            cfg.merge_from_dict(args.cfg_options)
        check_config_keys(cfg)
        check_registered_types(cfg)
        check_distiller(cfg)
        check_loop_parts(cfg)
        check_heads_fit_the_data(cfg, ['test_dataloader'])
        check_loaders(cfg, ['test_dataloader'])
        check_evaluation_loaders(cfg, ['test_dataloader'])
        check_accuracy_topk(cfg, ['test_evaluator'])
        check_launch(cfg.launcher)
        check_evaluated_inputs(cfg, args.checkpoint, args.config)
        check_test_unseen(cfg, args.checkpoint)
        # Testing needs neither the teacher's weights (the checkpoint
        # under test holds them) nor a resume.
        for key in ('teacher_ckpt', 'teacher_snapshots'):
            if key in cfg.get('model', {}):
                cfg.model[key] = None
        cfg.work_dir = (
            args.work_dir
            or cfg.get('work_dir')
            or osp.join(
                './work_dirs', osp.splitext(osp.basename(args.config))[0]
            )
        )
        check_work_dir(cfg.work_dir)
        cfg.load_from = args.checkpoint
        cfg.resume = False
        # the default work dir is the training run's, whose copy of its
        # config says what was trained: the Runner dumps this test's config
        # over it (the test keeps its own in <timestamp>/vis_data/)
        trained_copy = osp.join(cfg.work_dir, osp.basename(args.config))
        kept = None
        if osp.isfile(trained_copy):
            with open(trained_copy, 'rb') as f:
                kept = f.read()
        runner = MmsamkdRunner.from_cfg(cfg)
        if kept is not None and is_main_process():
            with open(trained_copy, 'wb') as f:
                f.write(kept)
        from mmsamkd.engine.hooks import (
            CheckpointFitHook,
            ReliabilityHook,
            TrainedClassesHook,
        )

        runner.register_hook(CheckpointFitHook(args.config, 'test'))
        runner.register_hook(
            TrainedClassesHook([('checkpoint', args.checkpoint)])
        )
        runner.register_hook(ReliabilityHook())  # reliability_test.json
        metrics = runner.test()
        print(metrics)
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


if __name__ == '__main__':
    main()
