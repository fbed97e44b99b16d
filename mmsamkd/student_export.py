"""The deployable student of a distillation checkpoint: its weights alone
and a plain MMPretrain config for them (``tools/export_student.py``)."""

import os
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from mmsamkd.compat import load_from_trusted_local
from mmsamkd.errors import MmsamkdError
from mmsamkd.models.classifiers import (
    TRAINING_ONLY_PREFIXES,
    to_plain_classifier,
)
from mmsamkd.utils.cli import check_checkpoint_file

STUDENT_PREFIX = 'architecture.'
# Keys of a distillation config that mean nothing to a plain classifier.
DISTILL_ONLY_KEYS = ('teacher_ckpt',)


def check_outputs(
    checkpoint: str, out: str, cfg_out: str, force: bool
) -> None:
    """Refuse outputs that would destroy a file: the checkpoint itself,
    weights written where the config goes, an earlier file (no --force)."""
    if not out.endswith('.pth'):
        raise MmsamkdError(
            f'--out {out!r} must end in .pth: the student config is written '
            'beside it as .py'
        )
    for path in (out, cfg_out):
        if path and osp.abspath(path) == osp.abspath(checkpoint):
            raise MmsamkdError(
                f'--out {out!r} would replace {checkpoint!r}, the checkpoint '
                'it exports from; choose another --out'
            )
        if path and osp.exists(path) and not force:
            raise MmsamkdError(
                f'{path!r} exists; pass --force to replace it, or choose '
                'another --out'
            )


def student_state_dict(state_dict: Mapping[str, Any]) -> Dict[str, Any]:
    """The student's weights, keys as a bare classifier names them."""
    student = {
        key[len(STUDENT_PREFIX) :]: value
        for key, value in state_dict.items()
        if key.startswith(STUDENT_PREFIX)
    }
    student = {
        key: value
        for key, value in student.items()
        if not key.startswith(TRAINING_ONLY_PREFIXES)
    }
    if not student:
        raise MmsamkdError(
            'no student weights (keys starting with '
            f'{STUDENT_PREFIX!r}) in this checkpoint: it is not from a '
            'distillation algorithm, and a plain classifier checkpoint '
            'needs no export.'
        )
    return student


def plain_preprocessor(preprocessor: Mapping[str, Any]) -> Mapping[str, Any]:
    """MMPretrain's own preprocessor for a views one (same normalisation)."""
    if str(preprocessor.get('type', '')).endswith('ViewsDataPreprocessor'):
        preprocessor = dict(
            preprocessor, type='mmpretrain.ClsDataPreprocessor'
        )
    return preprocessor


def plain_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """A training pipeline of single images: ``RotatedViews`` (SSKD)
    becomes the transforms it applied to each view."""
    plain = []
    for step in pipeline:
        if str(step.get('type', '')).endswith('RotatedViews'):
            plain.extend(step.get('transforms', []))
        else:
            plain.append(step)
    return plain


def student_config(cfg_text: str) -> Optional[Config]:
    """A plain classifier config from the stored distillation config."""
    cfg = Config.fromstring(cfg_text, file_format='.py')
    algorithm = cfg.model
    student = algorithm.get('architecture')
    if student is None or 'cfg_path' in student:
        return None  # student defined elsewhere: only weights can be exported

    student = to_plain_classifier(student)
    if 'data_preprocessor' in algorithm:
        student.data_preprocessor = plain_preprocessor(
            algorithm.data_preprocessor
        )
    train_set = cfg.get('train_dataloader', {}).get('dataset', {})
    if 'pipeline' in train_set:
        train_set.pipeline = plain_pipeline(train_set.pipeline)
    cfg.model = student
    cfg.default_scope = 'mmpretrain'
    cfg.val_cfg = dict()
    cfg.test_cfg = dict()
    cfg.load_from = None
    cfg.resume = False
    for key in DISTILL_ONLY_KEYS:
        cfg.pop(key, None)
    return cfg


def export(
    checkpoint: str, out: Optional[str] = None, force: bool = False
) -> Tuple[str, Optional[str]]:
    """Write the student checkpoint (and config); return their paths."""
    check_checkpoint_file(
        checkpoint, 'tools/export_student.py CHECKPOINT [--out OUT]'
    )
    ckpt = load_from_trusted_local(checkpoint, map_location='cpu')
    if 'state_dict' not in ckpt:
        raise MmsamkdError(
            f'{checkpoint!r} has no state_dict: not an mmengine checkpoint'
        )
    out = out or osp.splitext(checkpoint)[0] + '_student.pth'
    meta = dict(ckpt.get('meta', {}))
    cfg = student_config(meta['cfg']) if 'cfg' in meta else None
    cfg_out = osp.splitext(out)[0] + '.py' if cfg is not None else None
    check_outputs(checkpoint, out, cfg_out, force)
    meta.update(exported_from=osp.abspath(checkpoint))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if cfg is not None:
        meta['cfg'] = cfg.pretty_text
    else:
        meta.pop('cfg', None)
    torch.save(
        {'meta': meta, 'state_dict': student_state_dict(ckpt['state_dict'])},
        out,
    )
    if cfg_out:
        cfg.dump(cfg_out)
    return out, cfg_out
