"""Mutation run over mmsamkd's numerics, data and results code (not in CI).

    python tools/mutation_run.py [--sample N] [--seed S] [--paths PATH ...]
        [--out FILE] [--slow]

Each mutant is one small change at one place of one module: a comparison
turned around (``==`` / ``!=``, ``<`` / ``<=``, ...), an arithmetic
operator swapped (``+`` / ``-``, ``*`` / ``/``), a sign dropped, an
integer moved by one, ``True`` / ``False`` swapped, or a ``.detach()``
removed. The module is rewritten with the mutant, the tests listed for
it in :data:`TESTS` run (the fast ones, ``-m "not slow"``; all of them
with ``--slow``), and the original is put back. A mutant that no test
fails on *survives*: a realistic bug that nothing catches.
``--sample N`` tries N mutants drawn at random (``--seed``), since each
takes a pytest start; ``--out`` writes the survivors as a markdown
table.

Mutation testing: DeMillo, Lipton and Sayward, "Hints on Test Data
Selection: Help for the Practicing Programmer", IEEE Computer 1978.
"""

import argparse
import ast
import glob
import os
import os.path as osp
import random
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# package -> the test files whose fast tests cover it
TESTS = {
    'mmsamkd/models/losses': [
        'test_hsakd.py',
        'test_sskd.py',
        'test_adversarial_losses.py',
        'test_category_structure.py',
        'test_lightskd.py',
    ],
    'mmsamkd/models/utils': [
        'test_rotation.py',
        'test_hsakd.py',
        'test_sskd.py',
        'test_category_structure.py',
        'test_discrepancy_samples.py',
        'test_image_classes.py',
    ],
    'mmsamkd/models/algorithms': [
        'test_samkd.py',
        'test_adversarial_pair.py',
        'test_matching_aware_pair.py',
        'test_msmgan.py',
        'test_discrepancy_samples.py',
    ],
    # the zoo: parameter counts, stage shapes, branch layers
    'mmsamkd/models/backbones': [
        'test_backbones.py',
        'test_ss_classifier.py',
        'test_mmpretrain_backbones.py',  # stage_view.py's views
    ],
    'mmsamkd/models/distillers': [
        'test_hsakd.py',
        'test_sskd.py',
        'test_users_path.py',  # a Runner step against the loss by hand
    ],
    'mmsamkd/models/discriminators': [
        'test_discriminators.py',
        'test_adversarial_pair.py',
        'test_matching_aware_pair.py',
    ],
    'mmsamkd/models/heads': [
        'test_hsakd.py',
        'test_sskd.py',
        'test_ss_classifier.py',
        'test_lightskd.py',
    ],
    'mmsamkd/models/classifiers': [
        'test_ss_classifier.py',
        'test_sskd.py',
        'test_hsakd.py',
        'test_lightskd.py',
        'test_teacher_checkpoint.py',
    ],
    # which parameters each optimizer steps, and in what precision
    'mmsamkd/engine/optimizers': [
        'test_samkd.py',
        'test_mixed_precision.py',
        'test_msmgan.py',
    ],
    'mmsamkd/engine/hooks/msmgan_phase_hook.py': ['test_msmgan.py'],
    'mmsamkd/engine/hooks/unplayed_stages.py': [
        'test_adversarial_stage_hook.py',
        'test_msmgan.py',
    ],
    'mmsamkd/engine/hooks/fp32_losses_hook.py': ['test_mixed_precision.py'],
    'mmsamkd/engine/hooks/trained_classes_hook.py': ['test_trained_inputs.py'],
    'mmsamkd/models/data_preprocessors': [
        'test_sskd.py',
        'test_users_path.py',
    ],
    # RotatedViews' own tests are SSKD's
    'mmsamkd/datasets': [
        'test_datasets.py',
        'test_sskd.py',
        'test_users_path.py',
    ],
    # the non-finite guard: a mutant there lets a NaN run end with rc 0
    'mmsamkd/utils/nonfinite.py': ['test_nonfinite_guard.py', 'test_samkd.py'],
    'mmsamkd/engine/hooks/nonfinite_guard_hook.py': [
        'test_nonfinite_guard.py'
    ],
    # hooks and a loop whose slip gives stale or mixed-up numbers
    'mmsamkd/engine/runner/teacher_cached_val_loop.py': ['test_val_loop.py'],
    'mmsamkd/engine/hooks/teacher_scores_hook.py': [
        'test_transfer_metric.py',
        'test_val_loop.py',
    ],
    'mmsamkd/engine/hooks/adversarial_stage_hook.py': [
        'test_adversarial_stage_hook.py',
        'test_samkd.py',
    ],
    'mmsamkd/engine/hooks/checkpoint_fit_hook.py': [
        'test_adversarial_pair.py',
        'test_teacher_checkpoint.py',
        'test_cli_errors.py',
    ],
    'mmsamkd/engine/hooks/frozen_stage_load_hook.py': [
        'test_teacher_checkpoint.py',
        'test_cli_errors.py',
    ],
    'mmsamkd/engine/hooks/rng_state_hook.py': ['test_reliability.py'],
    # what compare.py reuses, selects and reports
    'mmsamkd/comparison': [
        'test_compare_results.py',  # the refusals before training
        'test_compare_seeds.py',
        'test_registered_types.py',
        'test_compare_jobs.py',
        'test_report.py',
        'test_run_cost.py',
        'test_run_records.py',  # which checkpoints a run keeps
    ],
    'mmsamkd/utils/run_results.py': [
        'test_datasets.py',
        'test_run_records.py',
        'test_benchmark_results.py',
        'test_cli_errors.py',
        'test_compare_seeds.py',
    ],
    # the launch checks; the collective timeout's message is slow-tested
    'mmsamkd/utils/distributed.py': [
        'test_cli_errors.py',
        'test_run_records.py',
        'test_process_ownership.py',
        'test_slurm_train.py',  # the port of a Slurm job step
    ],
    'mmsamkd/utils/checkpoint_files.py': [
        'test_checkpoint_files.py',
        'test_run_records.py',
    ],
    'mmsamkd/evaluation': ['test_transfer_metric.py'],
    'mmsamkd/engine/hooks/reliability_hook.py': ['test_transfer_metric.py'],
    'mmsamkd/engine/hooks/run_cost_hook.py': ['test_run_cost.py'],
    # what a mistaken config or command is told; test_configs.py (every
    # shipped config, 80 s) last, so that -x stops before it on a kill
    'mmsamkd/utils/config_check.py': [
        'test_cli_errors.py',
        'test_registered_types.py',
        'test_config_keys.py',
        'test_teacher_checkpoint.py',
        'test_trained_inputs.py',
        'test_configs.py',
    ],
    'mmsamkd/utils/config_keys.py': ['test_config_keys.py', 'test_configs.py'],
    'mmsamkd/utils/misplaced_keys.py': ['test_config_keys.py'],
    'mmsamkd/utils/constructor_errors.py': ['test_constructor_errors.py'],
    'mmsamkd/utils/input_channels.py': ['test_input_channels.py'],
    'mmsamkd/utils/data_files.py': ['test_run_records.py'],
    'mmsamkd/utils/model_wrappers.py': [
        'test_adversarial_stage_hook.py',
        'test_mixed_precision.py',
        'test_channels_last.py',
    ],
    'mmsamkd/utils/cli.py': ['test_cli_errors.py'],
    'mmsamkd/utils/training_settings.py': ['test_training_settings.py'],
    'mmsamkd/utils/evaluation_settings.py': [
        'test_evaluation_settings.py',
        'test_training_settings.py',
        'test_registered_types.py',
    ],
    'mmsamkd/utils/paramwise_settings.py': ['test_paramwise_settings.py'],
    'mmsamkd/utils/distiller_settings.py': ['test_distiller_settings.py'],
    'mmsamkd/utils/registered_types.py': [
        'test_registered_types.py',
        'test_configs.py',
    ],
    'mmsamkd/utils/trained_inputs.py': [
        'test_trained_inputs.py',
        'test_configs.py',
    ],
    'mmsamkd/utils/seen_images.py': ['test_seen_images.py'],
    'mmsamkd/utils/teacher_checkpoint.py': [
        'test_teacher_checkpoint.py',
        'test_url_checkpoint.py',
        'test_checkpoint_files.py',
        'test_cli_errors.py',
    ],
    'mmsamkd/utils/url_checkpoint.py': [
        'test_url_checkpoint.py',
        'test_mmpretrain_backbones.py',
    ],
    'mmsamkd/utils/process_ownership.py': [
        'test_process_ownership.py',
        'test_compare_seeds.py',
    ],
    'mmsamkd/utils/host_syncs.py': [
        'test_host_syncs.py',
        'test_nonfinite_guard.py',
    ],
    'mmsamkd/engine/runner/formatted_once_config.py': [
        'test_formatted_once_config.py'
    ],
    'mmsamkd/engine/runner/mmsamkd_runner.py': [
        'test_channels_last.py',
        'test_val_loop.py',
        'test_datasets.py',
    ],
    'mmsamkd/models/connectors': ['test_adversarial_pair.py'],
    # each patch applied only where its breakage exists
    'mmsamkd/compat.py': ['test_compat.py', 'test_checkpoint_files.py'],
    # the exported student: its round trip is a slow test (--slow)
    'mmsamkd/student_export.py': [
        'test_cli_errors.py',
        'test_sskd.py',
        'test_kd_end_to_end.py',
    ],
}

COMPARISONS = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Pow: ast.Mult,
}


def sites(tree):
    """``(node index, description)`` of every mutable place of ``tree``,
    in walk order (docstrings and f-strings are left alone)."""
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in COMPARISONS:
            new = COMPARISONS[type(node.ops[0])].__name__
            found.append((index, f'{type(node.ops[0]).__name__} -> {new}'))
        elif isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            new = ARITHMETIC[type(node.op)].__name__
            found.append((index, f'{type(node.op).__name__} -> {new}'))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            found.append((index, 'sign dropped'))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            found.append((index, f'{node.value} -> {not node.value}'))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            found.append((index, f'{node.value} -> {node.value + 1}'))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == 'detach'
            and not node.args
        ):
            found.append((index, '.detach() removed'))
    return found


class Mutate(ast.NodeTransformer):
    """Apply the mutation of the site at walk index ``target``."""

    def __init__(self, tree, target):
        self.node = list(ast.walk(tree))[target]

    def visit(self, node):
        if node is not self.node:
            return self.generic_visit(node)
        if isinstance(node, ast.Compare):
            node.ops[0] = COMPARISONS[type(node.ops[0])]()
        elif isinstance(node, ast.BinOp):
            node.op = ARITHMETIC[type(node.op)]()
        elif isinstance(node, ast.UnaryOp):
            return node.operand
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            node.value = not node.value
        elif isinstance(node, ast.Constant):
            node.value += 1
        elif isinstance(node, ast.Call):
            return node.func.value
        return node


def skipped_nodes(tree):
    """Nodes inside docstrings, f-strings and annotations: not code."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))
        body = getattr(node, 'body', None)
        if isinstance(body, list) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(
                first.value, ast.Constant
            ):
                skip.add(id(first.value))
    return skip


def mutants(paths):
    """Every ``(path, site index, line, description)`` under ``paths``."""
    found = []
    for path in paths:
        source = open(osp.join(REPO, path), encoding='utf-8').read()
        tree = ast.parse(source)
        skip = skipped_nodes(tree)
        nodes = list(ast.walk(tree))
        for index, what in sites(tree):
            node = nodes[index]
            if id(node) in skip:
                continue
            found.append((path, index, node.lineno, what))
    return found


def tests_for(path):
    for package, tests in TESTS.items():
        if path.startswith(package):
            return [osp.join('tests', t) for t in tests]
    raise SystemExit(f'{path}: no tests listed for its package in TESTS')


def run_tests(tests, timeout, slow=False):
    command = [sys.executable, '-m', 'pytest', '-x', '-q']
    command += [] if slow else ['-m', 'not slow']
    command += ['-p', 'no:cacheprovider', *tests]
    try:
        result = subprocess.run(
            command, cwd=REPO, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return 'timeout'
    return 'survived' if result.returncode == 0 else 'killed'


def try_mutant(path, index, timeout, slow=False):
    full = osp.join(REPO, path)
    original = open(full, encoding='utf-8').read()
    tree = ast.parse(original)
    new_source = ast.unparse(Mutate(tree, index).visit(tree))
    try:
        with open(full, 'w', encoding='utf-8') as f:
            f.write(new_source)
        return run_tests(tests_for(path), timeout, slow)
    finally:
        with open(full, 'w', encoding='utf-8') as f:
            f.write(original)


def default_paths():
    paths = []
    for package in TESTS:
        if package.endswith('.py'):  # a module listed on its own
            paths.append(package)
            continue
        paths += sorted(
            osp.relpath(p, REPO)
            for p in glob.glob(osp.join(REPO, package, '*.py'))
            if not p.endswith('__init__.py')
        )
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--paths', nargs='+', default=None)
    parser.add_argument('--sample', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--timeout', type=float, default=600)
    parser.add_argument('--out', default=None, help='markdown of survivors')
    parser.add_argument(
        '--slow', action='store_true', help='run the slow tests too'
    )
    args = parser.parse_args()
    found = mutants(args.paths or default_paths())
    chosen = found
    if args.sample is not None and args.sample < len(found):
        chosen = random.Random(args.seed).sample(found, args.sample)
    print(f'{len(found)} mutants; trying {len(chosen)}', flush=True)
    counts, survivors = {}, []
    start = time.time()
    for number, (path, index, line, what) in enumerate(chosen, 1):
        outcome = try_mutant(path, index, args.timeout, args.slow)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome != 'killed':
            survivors.append((path, line, what, outcome))
        print(
            f'[{number}/{len(chosen)}] {outcome:8} {path}:{line} {what}',
            flush=True,
        )
    killed = counts.get('killed', 0)
    summary = (
        f'{killed} of {len(chosen)} mutants killed '
        f'({100 * killed / max(1, len(chosen)):.0f} %), '
        f'{counts.get("survived", 0)} survived, '
        f'{counts.get("timeout", 0)} timed out; {len(found)} mutants in all, '
        f'{time.time() - start:.0f} s'
    )
    print(summary)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(
                summary + '\n\n| place | mutant | outcome |\n|---|---|---|\n'
            )
            for path, line, what, outcome in survivors:
                f.write(f'| `{path}:{line}` | {what} | {outcome} |\n')


if __name__ == '__main__':
    main()
