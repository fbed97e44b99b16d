"""Train (or collect) several configs and tabulate their accuracies.

    python tools/compare.py CONFIG [CONFIG ...] [--work-dir-root work_dirs]
        [--out-dir DIR] [--collect-only] [--jobs N] [--seeds S [S ...]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...]

Configs run in the order given (a run after the listed runs it reads),
each in ``<work-dir-root>/<config name>`` (the default work dir of
``tools/train.py``, so a listed teacher is where its students'
``teacher_ckpt`` expects it; under another root,
the ``work_dirs/...`` paths of ``teacher_ckpt`` and ``load_from`` move
there too, and a path to a listed run's final checkpoint follows that
run's schedule under ``--cfg-options``). A finished run is collected, not
retrained; an unfinished one
is resumed; either only if its ``run_config.json`` says it was trained
with the same settings, from the same teacher and ``load_from`` files
and on data folders that hold the same files (else the command stops and
says so, as it does for a finished run whose
teacher run is to be trained again). The table
names each run's training data, the data its accuracy is measured on
(``evaluated on``: the validation loader's dataset, split and part), its
schedule and where its learning rate ended (a schedule cut short by
``--cfg-options train_cfg.max_epochs`` ends high), the SAMKD stages,
MS-MGANs phases or MultiStep milestones it never reached, its seed, what it
cost (training time, seconds per iteration, peak memory, from the
``run_cost.json`` tools/train.py writes) and the parameters and FLOPs of the
classifier it deploys; configs trained or evaluated on different data are
refused unless ``--mixed-datasets``. ``last`` is the accuracy of the last
validation; ``best`` is the best of them all (the highest, or the lowest
for a metric of which lower is better: ``transfer/ece``, ``transfer/kl``;
a metric whose direction neither its evaluator nor its name says is
refused), chosen on the very data it
reports (on a test split, an optimistic number: choose on a validation
split, report ``last``). Writes
``results.md``, ``results.csv``, ``accuracy_curves.png``,
``accuracy_vs_cost.png``, ``reliability.png`` (a reliability diagram per
config, from the last validation) and ``report.html`` (all of them in one
page) to the output folder and prints the Markdown table.

``--seeds S ...`` trains every run that no other listed run reads (the
students) once per seed, in ``<work-dir-root>/seed<S>/<config name>``;
the runs they read (teachers, frozen-teacher stages) are trained once and
shared by all seeds. A second table gives each such config's mean and std
over the seeds and its gap from the first one, seed by seed: a seed starts
HSAKD and SAMKD from the same student, so the paired gap is what the
method changes, free of the spread between seeds.

``--jobs N`` trains up to N runs at once, each on ``cores / N`` threads
(small networks use cores better side by side than one run on all of
them) and, where several GPUs are visible, on a GPU of its own (job slot
``i`` gets the ``i % gpus``-th one through ``CUDA_VISIBLE_DEVICES``), with
each run's log in ``<work dir>/compare_train.log``; every 30 s it prints
where each running run stands (epoch, iteration, MMEngine's ETA, last
validation accuracy). A run starts only
after the listed runs whose work dir holds its ``teacher_ckpt`` or
``load_from``.
"""

import argparse
import os.path as osp
import re
import sys

TRAIN_SCRIPT = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


class CfgOptions(argparse.Action):
    """``--cfg-options``, read by mmsamkd's own action, imported only when
    the option is given: ``--help`` answers before torch loads."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmsamkd.utils.cli import CfgOptionsAction

        read = CfgOptionsAction(self.option_strings, self.dest)
        read(parser, namespace, values, option_string)


class SeedsThenConfigs(argparse.Action):
    """``--seeds``: the whole numbers after it. Words after those are
    configs: ``--seeds 0 1 2 A.py B.py`` gave argparse's ``--seeds`` the
    configs too, refused as "invalid int value"."""

    def __call__(self, parser, namespace, values, option_string=None):
        whole = [re.fullmatch(r'-?\d+', value) for value in values]
        count = whole.index(None) if None in whole else len(values)
        if not count:
            parser.error(
                f'argument --seeds: {values[0]!r} is not a whole number'
            )
        namespace.seeds = [int(value) for value in values[:count]]
        namespace.configs_after_seeds = values[count:]


def at_least_one(text):
    """``--jobs``: 0 or fewer trained nothing, then found no records."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a whole number from 1'
        )
    return value


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # '*': configs may also follow --seeds' numbers (SeedsThenConfigs)
    parser.add_argument('configs', nargs='*', help='config files')
    parser.add_argument(
        '--work-dir-root',
        default='work_dirs',
        help='where each run gets <root>/<config name> (default: work_dirs)',
    )
    parser.add_argument(
        '--out-dir', help='where results go (default: <root>/compare)'
    )
    parser.add_argument(
        '--metric', default='accuracy/top1', help='validation metric'
    )
    parser.add_argument(
        '--collect-only',
        action='store_true',
        help='only read finished runs; never train',
    )
    parser.add_argument(
        '--jobs', type=at_least_one, default=1, help='runs trained at once'
    )
    parser.add_argument(
        '--seeds',
        nargs='+',
        action=SeedsThenConfigs,
        help='train every run that no other listed run reads (the '
        'students) once per seed, in <root>/seed<N>/; add their mean, std '
        'and paired gaps to the table',
    )
    parser.add_argument(
        '--mixed-datasets',
        action='store_true',
        help='allow configs trained or evaluated on different data in one '
        'table',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        help='train every run with tools/train.py --amp (mixed precision)',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help="scale every run's learning rates to the batch of its step on "
        'one process (an 8xb16 recipe: by 16 / 128), as tools/train.py '
        '--auto-scale-lr does',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptions,
        help='overrides passed to every training run',
    )
    args = parser.parse_args()
    if args.auto_scale_lr:  # an option: reuse checks see it in the config
        args.cfg_options = dict(
            args.cfg_options or {}, **{'auto_scale_lr.enable': True}
        )
    args.configs += getattr(args, 'configs_after_seeds', [])
    if not args.configs:
        parser.error('the following arguments are required: configs')
    return args


def main():
    args = parse_args()
    from mmsamkd.comparison import compare
    from mmsamkd.errors import MmsamkdError
    from mmsamkd.utils.cli import check_work_dir
    from mmsamkd.utils.process_ownership import hold_lock

    out_dir = args.out_dir or osp.join(args.work_dir_root, 'compare')
    try:
        check_work_dir(args.work_dir_root, '--work-dir-root')
        # before: a FileExistsError traceback once every run had trained
        check_work_dir(out_dir, '--out-dir')
        # a second compare.py in this root would train the same dirs
        lock = hold_lock(args.work_dir_root, 'compare.py')  # noqa: F841
        _, markdown = compare(
            TRAIN_SCRIPT,
            args.configs,
            args.work_dir_root,
            out_dir,
            args.metric,
            args.collect_only,
            args.cfg_options,
            args.jobs,
            args.mixed_datasets,
            args.seeds,
            args.amp,
        )
    except MmsamkdError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    print(
        f'\nResults ({out_dir}/results.md, results.csv, '
        'accuracy_curves.png, accuracy_vs_cost.png, reliability.png; all '
        'in report.html):\n'
    )
    print(markdown)


if __name__ == '__main__':
    main()
