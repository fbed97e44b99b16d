"""Markdown tables from a benchmark results CSV (one row per run).

    python benchmarks/results_table.py [--readme README.md ...]

Prints, per split, each method's top-1 per seed with mean and standard
deviation (``results/fmnist_methods.csv``), and the SAMKD study on the
validation split (``results/samkd_study.csv``, read against the methods'
runs made on the study's own machine, ``results/fmnist_methods_intel.csv``;
its earlier rounds: ``samkd_study_unpaired.csv``, run before a seed
started SAMKD from HSAKD's student, and ``samkd_study_pytorch-init.csv``,
before the branches were initialised as published), and its checks of
one setting at a time, each paired with a reference run of that setting
(``PAIRED_CHECKS``: HSAKD with a half-width student, with twice the
epochs, on a fifth of the images; the discriminators without the KL
terms, against SAMKD with
neither), and the matching-aware discriminators (``MATCHAWARE_CSV``).
With ``--readme``, rewrites in each file the block between
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``, NAME being
``fmnist-table``, ``samkd-study``, ``samkd-study-unpaired``,
``samkd-study-pytorch-init``, ``fmnist-amp``, ``fmnist-channels-last``,
``hsakd-mmpretrain-teacher``,
``samkd-matchaware-mechanism``, ``samkd-matchaware`` (made only once
variants ran against HSAKD) or a key of ``PAIRED_CHECKS``, so README
figures come from the CSVs and are never typed.
"""

import argparse
import csv
import os.path as osp
import re
import statistics

HERE = osp.dirname(osp.abspath(__file__))
METHODS_CSV = osp.join(HERE, 'results', 'fmnist_methods.csv')
# fmnist_methods.py as shipped, with --amp and with --channels-last: KD,
# HSAKD and SAMKD, from the same teacher and seeds
SPEED_OPTIONS_CSV = osp.join(HERE, 'results', 'fmnist_speed_options.csv')
# block name -> (the rows' method suffix, the option's name in the table)
SPEED_OPTIONS = {
    'fmnist-amp': ('-amp', 'amp'),
    'fmnist-channels-last': ('-cl', 'channels last'),
}
# HSAKD with a teacher of MMPretrain's own network (ResNet_CIFAR-18 at
# quarter width) and the benchmark's student, beside the student alone
MMPRETRAIN_TEACHER_CSV = osp.join(
    HERE, 'results', 'hsakd_mmpretrain_teacher.csv'
)
# The methods' runs made on the machine the SAMKD study ran on (an Intel
# CPU with AMX; figures depend on the processor), before SSKD's batch order
# was fixed: the study's references, which a seed pairs with.
STUDY_METHODS_CSV = osp.join(HERE, 'results', 'fmnist_methods_intel.csv')
STUDY_CSV = osp.join(HERE, 'results', 'samkd_study.csv')
# The study before branches were initialised as published (issue 10): its
# own validation and test runs, kept apart.
OLD_STUDY_CSV = osp.join(HERE, 'results', 'samkd_study_pytorch-init.csv')
# The study before SAMKD's adversary got a random stream of its own (so a
# seed did not start SAMKD from HSAKD's student): its own runs, with
# HSAKD's (unchanged) as the reference.
UNPAIRED_STUDY_CSV = osp.join(HERE, 'results', 'samkd_study_unpaired.csv')
# SAMKD and HSAKD with one setting of the benchmark changed, paired as the
# study is: block name -> (results CSV, the HSAKD run of that setting).
PAIRED_CHECKS = {
    # a half-width student: does the adversary help one less bound by size?
    'samkd-capacity': ('samkd_capacity.csv', 'hsakd-half'),
    # twice the epochs: do the adversaries need longer?
    'samkd-schedule': ('samkd_schedule.csv', 'hsakd-long'),
    # a fifth of the images for five times the epochs: do they regularise
    # a student that sees each image more often?
    'samkd-data': ('samkd_data.csv', 'hsakd-1k'),
    # no KL term: do the discriminators transfer anything by themselves?
    # (the reference is SAMKD with neither KL terms nor discriminators)
    'samkd-advonly': ('samkd_advonly.csv', 'samkd-nokl'),
}
# Matching-aware discriminators, every run on the machine of METHODS_CSV
# (not the study's): the mechanism check (these methods, against the
# untaught student), then the variants against HSAKD.
MATCHAWARE_CSV = osp.join(HERE, 'results', 'samkd_matchaware.csv')
MATCHAWARE_MECHANISM = ('samkd-nokl', 'samkd-advonly-matchaware')
COLUMNS = (
    'method',
    'seed',
    'split',
    'top1',
    'epochs',
    'train_images',
    'teacher',
    'student',
    'date',
    'machine',
    # the run's cost, from its run_cost.json (empty for runs made before
    # train.py recorded it)
    'train_seconds',
    'seconds_per_iter',
    'peak_mb',
    # the mmsamkd code that trained it (empty for rows made before runs
    # recorded it)
    'code',
)
# teacher first, the student alone and its self-distillation, then the
# students of the teacher in the order the methods build on each other;
# methods not listed follow alphabetically
ORDER = (
    'teacher',
    'vanilla',
    'lightskd-drg',
    'lightskd-dsr',
    'lightskd-drg-dsr',
    'kd',
    'msmgan',
    'cskd',
    'icakd',
    'sskd',
    'hsakd',
    'samkd',
)


def markers(name):
    return f'<!-- {name}:begin -->', f'<!-- {name}:end -->'


BEGIN, END = markers('fmnist-table')


def read_rows(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


def summarize(rows, split):
    """``{method: {seed: top1}}`` of one split, in :data:`ORDER`."""
    table = {}
    for row in rows:
        if row['split'] == split:
            table.setdefault(row['method'], {})[int(row['seed'])] = float(
                row['top1']
            )

    def rank(method):
        return (ORDER.index(method) if method in ORDER else len(ORDER), method)

    return {m: table[m] for m in sorted(table, key=rank)}


def mean_std(values):
    values = list(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), std


def costs(rows, split):
    """``{method: (train seconds, s/iter, peak MiB, seeds)}`` of one split:
    means over the runs that recorded their cost, and the seeds those ran
    on; methods with no such run are left out."""
    found = {}
    for row in rows:
        if row['split'] == split and row.get('seconds_per_iter'):
            found.setdefault(row['method'], []).append(row)
    return {
        method: (
            statistics.mean(float(r['train_seconds']) for r in runs),
            statistics.mean(float(r['seconds_per_iter']) for r in runs),
            statistics.mean(float(r['peak_mb']) for r in runs),
            sorted(int(r['seed']) for r in runs),
        )
        for method, runs in found.items()
    }


def clock(seconds):
    """``H:MM:SS``."""
    seconds = round(seconds)
    return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


def markdown(rows, split):
    """The Markdown table of one split: seeds, mean and std per method,
    and what a run cost where runs recorded it (train time, seconds per
    iteration, peak resident memory; means over those runs, whose seeds
    the last column names)."""
    table = summarize(rows, split)
    if not table:
        return ''
    cost = costs(rows, split)
    seeds = sorted({s for per_seed in table.values() for s in per_seed})
    header = (
        '| method | '
        + ' | '.join(f'seed {s}' for s in seeds)
        + ' | mean ± std |'
    )
    if cost:
        header += ' train time | s/iter | peak MiB | cost of seeds |'
    lines = [header, '|---' * header.count(' |') + '|']
    for method, per_seed in table.items():
        cells = [f'{per_seed[s]:.2f}' if s in per_seed else '' for s in seeds]
        mean, std = mean_std(per_seed.values())
        line = (
            f'| {method} | '
            + ' | '.join(cells)
            + f' | {mean:.2f} ± {std:.2f} |'
        )
        if cost:
            if method in cost:
                total, per_iter, peak, cost_seeds = cost[method]
                line += (
                    f' {clock(total)} | {per_iter:.3f} | {peak:.0f} | '
                    f'{", ".join(map(str, cost_seeds))} |'
                )
            else:
                line += ' | | | |'
        lines.append(line)
    return '\n'.join(lines) + '\n'


def setup_line(rows):
    """One line naming the schedule, data, pair and machine of the rows
    (the students' machine, and the teacher's thread count where it
    differs)."""
    first = rows[0]
    students = [r for r in rows if r['method'] != 'teacher']
    student = students[0]['student'] if students else ''
    machine = (students or rows)[0]['machine']
    teacher_machine = next(
        (r['machine'] for r in rows if r['method'] == 'teacher'), machine
    )
    if teacher_machine != machine:
        # the machine column ends with the run's thread count
        machine += f'; the teacher on {teacher_machine.rsplit(", ", 1)[-1]}'
    return (
        f'Fashion-MNIST, first {first["train_images"]} training images, '
        f'{first["epochs"]} epochs, teacher {first["teacher"]}, student '
        f'{student}; last-epoch top-1 (%) from '
        f'`{osp.relpath(METHODS_CSV, osp.dirname(HERE))}` '
        f'({machine}).'
    )


def checks(rows, split='test'):
    """The benchmark's targets, checked on the means and stds of ``split``:
    teacher >= student alone + 3; KD > student alone by more than twice
    the larger std; student alone < KD < HSAKD < SAMKD, each step larger
    than the larger std of the two; SAMKD within 1.5 of the teacher."""
    table = summarize(rows, split)
    stats = {m: mean_std(v.values()) for m, v in table.items()}
    lines = []

    def gap(high, low):
        return stats[high][0] - stats[low][0]

    def line(ok, text):
        lines.append(f'- {"yes" if ok else "**no**"}: {text}')

    if {'teacher', 'vanilla'} <= set(stats):
        d = gap('teacher', 'vanilla')
        line(d >= 3, f'teacher - student alone = {d:.2f} (target >= 3)')
    chain = [m for m in ('vanilla', 'kd', 'hsakd', 'samkd') if m in stats]
    for low, high in zip(chain, chain[1:]):
        d = gap(high, low)
        bound = max(stats[high][1], stats[low][1])
        factor = 2 if (low, high) == ('vanilla', 'kd') else 1
        line(
            d > factor * bound,
            f'{high} - {low} = {d:.2f} (target > '
            f'{"2 x " if factor == 2 else ""}larger std {bound:.2f})',
        )
    if {'teacher', 'samkd'} <= set(stats):
        d = gap('teacher', 'samkd')
        line(d <= 1.5, f'teacher - samkd = {d:.2f} (target <= 1.5)')
    return '\n'.join(lines) + '\n' if lines else ''


def block(rows):
    """The generated README block: the test table and its targets, then
    validation."""
    parts = [setup_line(rows), '']
    for split, title in (('test', 'Test split'), ('val', 'Validation')):
        text = markdown(rows, split)
        if text:
            parts += [f'{title}:', '', text]
        if text and split == 'test':
            parts += ['Targets, on the test means:', '', checks(rows)]
    return '\n'.join(parts).rstrip('\n') + '\n'


# Study variants that became a final method's config (identical content).
ADOPTED = {'samkd-nomatch': 'samkd'}
# The final methods a study is read against.
REFERENCES = ('hsakd', 'samkd')


def study_block(rows, methods_rows=(), paired=False, reference='hsakd'):
    """A SAMKD study: validation top-1 of every variant, best first, with
    the test split where one was run.

    ``rows`` are the study's runs; ``methods_rows`` (the methods CSV) add
    the final methods' validation and test runs. ``paired``: a seed starts
    every variant from the student of ``reference`` (HSAKD's run of the
    same pair), so each variant also gets its validation difference to it
    on the same seeds (mean ± std over them), which the seed-to-seed
    spread does not blur.
    """
    references = [r for r in methods_rows if r['method'] in REFERENCES]
    val = summarize(list(rows) + references, 'val')
    test = summarize(list(rows) + references, 'test')
    for variant, method in ADOPTED.items():
        if method in test and variant not in test:
            test[variant] = test[method]
    header = '| variant | seeds | val mean ± std | test mean ± std |'
    if paired:
        header += f' val - {reference}, same seeds |'
    lines = [header, '|---' * header.count(' |') + '|']
    paired_with = val.get(reference, {})

    def gaps(method):
        return [
            v - paired_with[s]
            for s, v in val[method].items()
            if s in paired_with
        ]

    def rank(method):
        # paired: by the gap to HSAKD on the same seeds, which does not
        # depend on how good the seeds a variant ran on happen to be
        if paired and gaps(method):
            return -mean_std(gaps(method))[0]
        return -mean_std(val[method].values())[0]

    for method in sorted(val, key=rank):
        per_seed = val[method]
        mean, std = mean_std(per_seed.values())
        cell = ''
        if method in test:
            t_mean, t_std = mean_std(test[method].values())
            cell = f'{t_mean:.2f} ± {t_std:.2f} ({len(test[method])})'
        line = (
            f'| {method} | {", ".join(map(str, sorted(per_seed)))} | '
            f'{mean:.2f} ± {std:.2f} | {cell} |'
        )
        if paired:
            gap = ''
            if gaps(method) and method != reference:
                d_mean, d_std = mean_std(gaps(method))
                gap = f'{d_mean:+.2f} ± {d_std:.2f} ({len(gaps(method))})'
            line += f' {gap} |'
        lines.append(line)
    return '\n'.join(lines) + '\n'


def speed_option_block(rows, suffix, option):
    """As shipped against a speed option: each method's validation top-1
    per seed in both (``<method>`` and ``<method><suffix>`` rows of
    ``fmnist_methods.py --amp`` or ``--channels-last``, the same teacher
    and seed) and the paired gap, option - shipped, mean ± std over the
    seeds."""
    val = summarize(rows, 'val')
    lines = [
        f'| method | seeds | fp32 mean ± std | {option} mean ± std | '
        f'{option} - fp32, per seed | {option} - fp32, mean ± std |',
        '|---|---|---|---|---|---|',
    ]
    suffixes = [each for each, _ in SPEED_OPTIONS.values()]
    for method in val:
        # a row of another option (kd-amp) is no fp32 reference
        if method + suffix not in val or method.endswith(tuple(suffixes)):
            continue
        fp32, other = val[method], val[method + suffix]
        seeds = sorted(set(fp32) & set(other))
        if len(seeds) < 2:
            continue
        gaps = [other[s] - fp32[s] for s in seeds]
        cells = [
            f'{mean:.2f} ± {std:.2f}'
            for mean, std in (
                mean_std(fp32[s] for s in seeds),
                mean_std(other[s] for s in seeds),
            )
        ]
        gap_mean, gap_std = mean_std(gaps)
        cells.append(f'{gap_mean:+.2f} ± {gap_std:.2f}')
        lines.append(
            f'| {method} | {", ".join(map(str, seeds))} | {cells[0]} | '
            f'{cells[1]} | {", ".join(f"{g:+.2f}" for g in gaps)} | '
            f'{cells[2]} |'
        )
    return '\n'.join(lines) + '\n'


def rewrite(path, text, name='fmnist-table'):
    """Replace the ``name`` block of ``path``; False if it has none."""
    begin, end = markers(name)
    with open(path, encoding='utf-8') as f:
        old = f.read()
    pattern = re.compile(re.escape(begin) + r'.*?' + re.escape(end), re.S)
    if not pattern.search(old):
        return False
    new = pattern.sub(lambda _: f'{begin}\n{text}{end}', old)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(new)
    return True


def blocks():
    """``{block name: text}`` from the committed CSVs."""
    found = {'fmnist-table': block(read_rows(METHODS_CSV))}
    methods_rows = read_rows(STUDY_METHODS_CSV)
    if osp.isfile(STUDY_CSV):
        found['samkd-study'] = study_block(
            read_rows(STUDY_CSV), methods_rows, paired=True
        )
    if osp.isfile(UNPAIRED_STUDY_CSV):
        found['samkd-study-unpaired'] = study_block(
            read_rows(UNPAIRED_STUDY_CSV),
            [r for r in methods_rows if r['method'] == 'hsakd'],
        )
    for name, (filename, reference) in PAIRED_CHECKS.items():
        path = osp.join(HERE, 'results', filename)
        if osp.isfile(path):
            found[name] = study_block(
                read_rows(path), paired=True, reference=reference
            )
    if osp.isfile(MATCHAWARE_CSV):
        rows = read_rows(MATCHAWARE_CSV)
        mechanism = [r for r in rows if r['method'] in MATCHAWARE_MECHANISM]
        found['samkd-matchaware-mechanism'] = study_block(
            mechanism, paired=True, reference='samkd-nokl'
        )
        against_hsakd = [r for r in rows if r not in mechanism]
        if against_hsakd:  # only if the mechanism check passed
            found['samkd-matchaware'] = study_block(
                against_hsakd, read_rows(METHODS_CSV), paired=True
            )
    if osp.isfile(SPEED_OPTIONS_CSV):
        rows = read_rows(SPEED_OPTIONS_CSV)
        for name, (suffix, option) in SPEED_OPTIONS.items():
            found[name] = speed_option_block(rows, suffix, option)
    if osp.isfile(MMPRETRAIN_TEACHER_CSV):
        found['hsakd-mmpretrain-teacher'] = study_block(
            read_rows(MMPRETRAIN_TEACHER_CSV)
        )
    if osp.isfile(OLD_STUDY_CSV):
        found['samkd-study-pytorch-init'] = study_block(
            read_rows(OLD_STUDY_CSV)
        )
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--readme', nargs='*', default=[])
    args = parser.parse_args()
    texts = blocks()
    for name, text in texts.items():
        print(f'{name}:\n\n{text}')
    for path in args.readme:
        written = [n for n, t in texts.items() if rewrite(path, t, n)]
        if not written:
            raise SystemExit(f'{path} has no generated block to rewrite')
        print(f'rewrote {", ".join(written)} in {path}')


if __name__ == '__main__':
    main()
