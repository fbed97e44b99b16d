"""How well a frozen-branch teacher's branches solve their task: each
branch's joint-label accuracy (K rotations x classes) on the Fashion-MNIST
validation split, beside the backbone's top-1.

    python benchmarks/branch_accuracy.py CONFIG CHECKPOINT

CONFIG is the teacher's branch stage (``configs/teachers/*_ssa-*``),
CHECKPOINT what it wrote. Chance is 1 / (K x classes): 2.5 % for 4
rotations of 10 classes.
"""

import argparse

import torch

import mmsamkd  # noqa: F401  (compat patches must precede mmrazor)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    args = parser.parse_args()

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint
    from mmpretrain.registry import MODELS

    from mmsamkd.models.utils import joint_labels, rotate_views

    cfg = Config.fromfile(args.config)
    cfg.val_dataloader.dataset.split = 'val'
    cfg.val_dataloader.dataset.test_mode = False
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.eval()
    rotations = len(model.rotations)
    hits, top1, total = None, 0, 0
    with torch.no_grad():
        for batch in Runner.build_dataloader(cfg.val_dataloader):
            data = model.data_preprocessor(batch, False)
            images = data['inputs']
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            logits, _ = model.forward_views(images)
            top1 += int((logits.argmax(1) == labels).sum())
            _, branches = model.forward_views(
                rotate_views(images, model.rotations)
            )
            joint = joint_labels(labels, rotations)
            found = [int((b.argmax(1) == joint).sum()) for b in branches]
            hits = (
                found if hits is None else [a + b for a, b in zip(hits, found)]
            )
            total += len(labels)
    classes = model.head.num_classes
    print(
        f'backbone top-1 {100 * top1 / total:.2f} %; branch joint accuracy '
        + ', '.join(f'{100 * h / (rotations * total):.2f} %' for h in hits)
        + f' (chance {100 / (rotations * classes):.2f} %), on {total} '
        f'validation images x {rotations} rotations'
    )


if __name__ == '__main__':
    main()
