"""Train several tiny runs one after another in one two-rank launch
(``python -m torch.distributed.run --nproc_per_node 2 gloo_families.py
PLAN.json``), each rank saving its student (rank_weights_hook.py).

``PLAN.json``: ``[{"config", "options", "work_dir", "out_dir"}]``. One
launch for all of test_reliability.py's families: each launch of its own
spent most of its time importing, twice.
"""

import json
import os.path as osp
import sys

import rank_weights_hook  # noqa: F401  (registers RankWeightsHook)
from mmengine.config import Config

from mmsamkd.engine.runner import MmsamkdRunner
from mmsamkd.utils.distributed import end_distributed


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        plan = json.load(f)
    for run in plan:
        cfg = Config.fromfile(run['config'])
        cfg.merge_from_dict(run['options'])
        cfg.work_dir = run['work_dir']
        cfg.experiment_name = osp.basename(run['work_dir'])
        cfg.launcher = 'pytorch'
        cfg.default_hooks.rank_weights = dict(
            type='RankWeightsHook', out_dir=run['out_dir']
        )
        runner = MmsamkdRunner.from_cfg(cfg)  # tools/train.py's
        runner.train()
        del runner  # its DDP model holds the process group
    end_distributed()


if __name__ == '__main__':
    main()
