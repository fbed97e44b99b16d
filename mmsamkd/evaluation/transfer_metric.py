"""How much of its teacher a student learnt, and how calibrated each is."""

import collections
from typing import Any, Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmrazor.registry import METRICS

ECE_BINS = 15


def reliability_bins(
    confidence: torch.Tensor, correct: torch.Tensor, bins: int = ECE_BINS
) -> List[tuple]:
    """The reliability diagram of some predictions: their confidences (the
    top probability of each) fall into ``bins`` equal-width bins of (0, 1];
    for each bin, ``(count, mean confidence, accuracy)``, the last two None
    for an empty bin."""
    edges = torch.linspace(0, 1, bins + 1, dtype=torch.float64)
    which = torch.bucketize(confidence.double(), edges[1:-1], right=False)
    table = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if count:
            table.append(
                (
                    count,
                    float(confidence[inside].double().mean()),
                    float(correct[inside].double().mean()),
                )
            )
        else:
            table.append((0, None, None))
    return table


def expected_calibration_error(
    confidence: torch.Tensor, correct: torch.Tensor, bins: int = ECE_BINS
) -> float:
    """Expected calibration error in percent: each bin of
    :func:`reliability_bins` adds the gap between its mean confidence and
    its accuracy, weighted by its share of the predictions (Guo et al.,
    "On Calibration of Modern Neural Networks", ICML 2017)."""
    return calibration_error(reliability_bins(confidence, correct, bins))


def calibration_error(table: Sequence[tuple]) -> float:
    """Expected calibration error in percent of a :func:`reliability_bins`
    table."""
    total = sum(count for count, _, _ in table)
    error = sum(
        count / total * abs(mean - accuracy)
        for count, mean, accuracy in table
        if count
    )
    return error * 100


@METRICS.register_module()
class TransferMetric(BaseMetric):
    """What a distilled student took from its teacher, on the evaluation
    split (Stanton et al., "Does Knowledge Distillation Really Work?",
    NeurIPS 2021, measure fidelity beside accuracy):

    - ``agreement``: the share of images (percent) on which the student's
      top-1 class is the teacher's;
    - ``kl``: the mean KL(teacher || student) of their predicted
      distributions, at temperature 1;
    - ``ece`` and ``teacher_ece``: each one's expected calibration error
      (percent, 15 bins; :func:`expected_calibration_error`).

    The teacher's predictions come as each data sample's ``teacher_score``
    (``TeacherScoresHook`` adds them, in validation and in
    ``tools/test.py``). A model evaluated without a teacher (a teacher
    run, a student alone, self-distillation) gets ``ece`` only.

    Keys: ``transfer/agreement``, ``transfer/kl``, ``transfer/ece``,
    ``transfer/teacher_ece``. Each pass's reliability diagrams
    (``{'student': bins, 'teacher': bins}``, as :func:`reliability_bins`
    gives them) are kept in :attr:`diagrams`, first pass first, until
    ``ReliabilityHook`` takes them: a distillation validation evaluates the
    student, then the teacher on its own.
    """

    default_prefix = 'transfer'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the student's and the teacher's own pass of one validation; a
        # run without ReliabilityHook keeps only the last two
        self.diagrams = collections.deque(maxlen=2)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            student = sample['pred_score'].float().cpu()
            label = int(sample['gt_label'])
            result = dict(student=student, label=label)
            if 'teacher_score' in sample:
                result['teacher'] = sample['teacher_score'].float().cpu()
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        student = torch.stack([r['student'] for r in results])
        labels = torch.tensor([r['label'] for r in results])
        confidence, predicted = student.max(dim=1)
        diagrams = dict(
            student=reliability_bins(confidence, predicted == labels)
        )
        self.diagrams.append(diagrams)
        metrics = dict(ece=calibration_error(diagrams['student']))
        if not all('teacher' in r for r in results):
            return metrics
        teacher = torch.stack([r['teacher'] for r in results])
        teacher_confidence, teacher_predicted = teacher.max(dim=1)
        tiny = torch.finfo(student.dtype).tiny  # log(0) where p_s underflows
        kl = torch.special.xlogy(teacher, teacher) - torch.special.xlogy(
            teacher, student.clamp_min(tiny)
        )
        metrics.update(
            agreement=float((predicted == teacher_predicted).double().mean())
            * 100,
            kl=float(kl.sum(dim=1).double().mean()),
        )
        diagrams['teacher'] = reliability_bins(
            teacher_confidence, teacher_predicted == labels
        )
        metrics['teacher_ece'] = calibration_error(diagrams['teacher'])
        return metrics
