"""What each run of a comparison cost, and the size of what it deploys."""

from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmsamkd.engine.hooks.run_cost_hook import read_cost
from mmsamkd.models.classifiers import to_plain_classifier


def deployed_size(
    cfg: Config, input_shape: Sequence[int]
) -> Optional[Tuple[int, int]]:
    """``(parameters, flops)`` of the classifier a run of ``cfg`` deploys
    (its student, as ``tools/export_student.py`` writes it: no teacher,
    branch or other training-only module) on one image of
    ``input_shape``; None for a student defined in another file.

    FLOPs as MMEngine's ``FlopAnalyzer`` counts them (fvcore's rule: a
    multiply-add is one), for a batch of one.
    """
    from mmengine.analysis import FlopAnalyzer

    model_cfg = cfg.model.get('architecture', cfg.model)
    if 'cfg_path' in model_cfg:
        return None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(to_plain_classifier(model_cfg))
    model.eval()
    parameters = sum(p.numel() for p in model.parameters())
    analyzer = FlopAnalyzer(model, torch.zeros(1, *input_shape))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return parameters, analyzer.total()


def run_cost(work_dir: str, cfg: Config) -> Dict[str, Any]:
    """The cost columns of one run: from its ``run_cost.json`` (written by
    ``tools/train.py``; empty for a run trained otherwise) and the size of
    its deployed classifier."""
    cost = read_cost(work_dir) or {}
    size = None
    if cost.get('input_shape'):
        size = deployed_size(cfg, cost['input_shape'])
    return dict(
        train_seconds=cost.get('seconds'),
        seconds_per_iter=cost.get('seconds_per_iter'),
        peak_mb=cost.get('peak_mb'),
        memory=cost.get('memory'),
        parameters=size[0] if size else None,
        flops=size[1] if size else None,
    )
