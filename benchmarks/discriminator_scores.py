"""What trained matching-aware discriminators tell apart, per pair.

    python benchmarks/discriminator_scores.py CONFIG WORK_DIR [WORK_DIR ...]
        [--images 1024]

For each run (a SAMKD config whose pairs have a ``condition``, trained in
WORK_DIR; its last checkpoint is read), the first ``--images`` validation
images go through teacher and student as in training (every rotated
view), and each matching-aware pair's discriminator scores three kinds of
row beside the same condition: the teacher's own output (real), the
student's, and the teacher's output for another image at the same view
(mismatched). It prints the mean sigmoid of each. A discriminator that
learned the teacher's per-image mapping scores mismatched rows as low as
the student's; one that judges only what outputs look like scores them as
high as real ones.
"""

import argparse
import os.path as osp

import torch

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)


def mean_scores(algorithm, batches):
    """``{pair: (real, student, mismatched)}``, the mean sigmoid score of
    each kind of row over ``batches`` (data dicts as the dataloader gives
    them), for the pairs with a condition."""
    from mmsamkd.models.algorithms.adversarial_pair import mismatched_rows

    sums, count = {}, 0
    pairs = {
        name: pair
        for name, pair in algorithm.adversary.pairs.items()
        if pair.condition is not None
    }
    algorithm.eval()
    with torch.no_grad():
        for data in batches:
            # training-mode preprocessing makes the rotated views
            data = algorithm.data_preprocessor(data, True)
            algorithm._run_forward(data, mode='loss')
            for name, pair in pairs.items():
                student, teacher, condition = algorithm.pair_records(name)
                teacher = pair.teacher_side(teacher, student)
                condition = pair.condition_rows([condition], len(teacher))
                rows = mismatched_rows(
                    len(teacher), algorithm.rows_per_image, name=name
                )
                kinds = (teacher, pair.student_side(student), teacher[rows])
                totals = sums.setdefault(name, [0.0, 0.0, 0.0])
                for i, rows_of_kind in enumerate(kinds):
                    score = pair.score(rows_of_kind, condition=condition)
                    totals[i] += float(torch.sigmoid(score).mean())
            count += 1
    return {
        name: tuple(v / count for v in totals) for name, totals in sums.items()
    }


def main():
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import Runner
    from mmengine.runner.checkpoint import load_checkpoint

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument('--images', type=int, default=1024)
    args = parser.parse_args()
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(args.config)
    cfg.model.teacher_ckpt = None  # the run's checkpoint holds the teacher
    loader_cfg = dict(cfg.val_dataloader, batch_size=128, num_workers=0)
    loader_cfg['dataset'] = dict(loader_cfg['dataset'], indices=args.images)
    loader = Runner.build_dataloader(loader_cfg)
    print('| run | pair | real | student | mismatched |')
    print('|---|---|---|---|---|')
    for work_dir in args.work_dirs:
        torch.manual_seed(0)  # the mismatched rows' draw
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
        algorithm = MODELS.build(cfg.model)
        load_checkpoint(algorithm, checkpoint, strict=True, logger='silent')
        for name, kinds in mean_scores(algorithm, loader).items():
            cells = ' | '.join(f'{v:.3f}' for v in kinds)
            print(f'| {work_dir} | {name} | {cells} |')


if __name__ == '__main__':
    main()
