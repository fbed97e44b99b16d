"""Every loss that reads the class of each image refuses a batch whose
images batch augments blended.

Before: with Mixup in ``model.data_preprocessor.batch_augments`` (where a
distillation run takes batch augments), CSKD's class centroids, ICAKD's
class maps, SSKD's error ranking, the branches' joint-label CE, LightSKD's
adapter CE and SAMKD's conditional discriminators read ``gt_label``: one
of the two classes of each blended image, rc 0.
"""

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmpretrain.structures import DataSample
from test_cli_errors import assert_one_line_error
from test_lightskd import build as build_lightskd
from test_samkd import batch, build_samkd
from test_ss_classifier import build_ss

from conftest import REPO, options_args, run_tool_in_process
from mmsamkd.errors import ConfigError
from mmsamkd.models.losses import (
    CAMCategoryStructureLoss,
    CAMLoss,
    CategoryStructureLoss,
    RotatedViewsKD,
)
from mmsamkd.models.utils import image_classes

CSKD_CFG = f'{REPO}/configs/cskd/cskd_resnet14_resnet8-quarter_1xb64_fmnist.py'
HSAKD_CFG = (
    f'{REPO}/configs/hsakd/hsakd_resnet14_resnet8-quarter_1xb64_fmnist.py'
)
REFUSAL = (
    'reads the class of each image, but the batch holds class scores '
    '(gt_score): batch augments (Mixup, CutMix) blend images of two '
    'classes, or to_onehot is set. Remove batch_augments and to_onehot '
    'from the data preprocessor for this method.'
)


def samples(labels, blended=False):
    """Data samples of ``labels``; ``blended``: with the scores Mixup
    gives each image (half its class, half the next one's)."""
    made = []
    for label in labels:
        sample = DataSample().set_gt_label(int(label))
        if blended:
            score = torch.zeros(10)
            score[label] += 0.5
            score[(label + 1) % 10] += 0.5
            sample.set_gt_score(score)
        made.append(sample)
    return made


def test_image_classes_are_the_labels_unless_the_images_were_blended():
    labels = image_classes(samples([3, 1, 4]), 'x')
    assert labels.tolist() == [3, 1, 4]
    # on the device asked for (meta: a device other than the samples')
    assert image_classes(samples([3]), 'x', torch.device('meta')).is_meta
    with pytest.raises(ConfigError) as error:
        image_classes(samples([3, 1], blended=True), 'the part')
    assert str(error.value) == f'the part {REFUSAL}'
    # without gradients nothing learns from them
    with torch.no_grad():
        assert image_classes(samples([3], blended=True), 'x').tolist() == [3]


def test_hsakd_learns_from_blended_images_beside_its_frozen_teacher():
    """HSAKD's student reads no class (its head takes the scores); its
    frozen teacher's branch CE, computed without gradients and thrown
    away, must not refuse the batch."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(HSAKD_CFG)
    cfg.model.teacher_ckpt = None
    algorithm = MODELS.build(cfg.model)
    algorithm.train()
    assert algorithm.teacher.branch_loss_weight > 0
    losses = algorithm.loss(
        torch.randn(2, 1, 28, 28), samples([0, 2], blended=True)
    )
    assert {'student.loss_cls', 'distill.loss_branch0'} <= set(losses)
    assert torch.isfinite(algorithm.parse_losses(losses)[0])


def ss_classifier_loss(data_samples):
    model = build_ss('resnet8x4', num_classes=10, branch_loss_weight=1.0)
    model.loss(torch.randn(2, 3, 32, 32), data_samples)


def adapter_loss(data_samples):
    student = build_lightskd(
        'drg', **{'model.architecture.adapter_loss_weight': 0.3}
    ).architecture.train()
    student.loss(torch.randn(2, 1, 28, 28), data_samples)


def category_structure_loss(data_samples):
    feats, logits = torch.randn(2, 4), torch.randn(2, 10)
    CategoryStructureLoss(num_classes=10)(
        feats, feats, logits, logits, data_samples
    )


def cam_loss(data_samples):
    maps, weights = torch.randn(2, 4, 3, 3), torch.randn(10, 4)
    CAMLoss()(maps, weights, maps, weights, data_samples)


def cam_category_structure_loss(data_samples):
    maps, weights = torch.rand(2, 6, 5, 5), torch.randn(10, 6)
    logits = torch.randn(2, 10)
    CAMCategoryStructureLoss(num_classes=10, bank_channels=6)(
        maps, maps, weights, maps, weights, logits, logits, data_samples
    )


def error_ranked_kd(data_samples):
    logits = torch.randn(8, 3)
    RotatedViewsKD(views='rotated', wrong_keep_ratio=0.5)(
        logits, logits, data_samples
    )


def conditional_samkd(data_samples):
    algorithm, wrappers = build_samkd(
        **{'model.adversary.pairs.feat1.num_classes': 40}
    )
    algorithm.set_adversarial_weights(dict(feat1=0.1))
    data = batch(2)
    data['data_samples'] = data_samples
    algorithm.train_step(data, wrappers)


@pytest.mark.parametrize(
    'step, reader',
    [
        (ss_classifier_loss, "the branches' joint-label CE"),
        (adapter_loss, "the adapter's CE (adapter_loss_weight)"),
        (category_structure_loss, 'CategoryStructureLoss'),
        (cam_loss, 'CAMLoss'),
        (cam_category_structure_loss, 'CAMCategoryStructureLoss'),
        (error_ranked_kd, 'RotatedViewsKD (wrong_keep_ratio < 1)'),
        (conditional_samkd, 'conditional pairs'),
    ],
)
def test_each_reader_of_classes_refuses_blended_images(step, reader):
    torch.manual_seed(0)
    step(samples([0, 2]))  # plain labels: read
    with pytest.raises(ConfigError) as error:
        step(samples([0, 2], blended=True))
    assert str(error.value).startswith(reader)
    assert str(error.value).endswith(REFUSAL)


def test_train_tool_refuses_mixup_for_cskd_at_its_first_step(
    tmp_path, fmnist_teacher_ckpt
):
    """Through tools/train.py, the Runner's dataloader and the
    preprocessor's Mixup: one line naming the loss, no checkpoint."""
    result = run_tool_in_process(
        'train.py',
        CSKD_CFG,
        '--work-dir',
        tmp_path,
        *options_args(
            {
                'model.teacher_ckpt': fmnist_teacher_ckpt,
                'model.data_preprocessor.batch_augments.augments.type': (
                    'Mixup'
                ),
                'model.data_preprocessor.batch_augments.augments.alpha': 1.0,
            }
        ),
    )
    assert_one_line_error(result, f'CategoryStructureLoss {REFUSAL}')
    assert not list(tmp_path.glob('*.pth'))
