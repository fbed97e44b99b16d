"""The rotated-views helper against torch.rot90 applied image by image."""

import pytest
import torch

from mmsamkd.models.utils import (
    check_rotations,
    joint_labels,
    rotate_views,
    upright,
)


def test_rotate_views_matches_per_image_rot90():
    torch.manual_seed(0)
    images = torch.rand(3, 2, 5, 5)
    views = rotate_views(images)
    assert views.shape == (12, 2, 5, 5)
    for i in range(3):
        for k in range(4):
            expected = torch.rot90(images[i], k, dims=(1, 2))
            assert torch.equal(views[4 * i + k], expected), (i, k)


def test_upright_views_are_the_inputs():
    images = torch.rand(4, 1, 6, 6)
    assert torch.equal(upright(rotate_views(images), 4), images)


def test_custom_rotations_keep_image_major_order():
    images = torch.arange(2 * 9, dtype=torch.float).view(2, 1, 3, 3)
    views = rotate_views(images, (0, 2))
    assert views.shape == (4, 1, 3, 3)
    assert torch.equal(views[1], torch.rot90(images[0], 2, dims=(1, 2)))
    assert torch.equal(views[2], images[1])


def test_joint_labels_hand_values():
    labels = torch.tensor([2, 0, 9])
    assert joint_labels(labels, 4).tolist() == [
        8,
        9,
        10,
        11,
        0,
        1,
        2,
        3,
        36,
        37,
        38,
        39,
    ]
    assert joint_labels(labels, 2).tolist() == [4, 5, 0, 1, 18, 19]


def test_non_square_images_are_refused():
    with pytest.raises(ValueError, match='square'):
        rotate_views(torch.rand(1, 1, 4, 5))


@pytest.mark.parametrize('bad', [(1, 2, 3), (0, 4), ()])
def test_bad_rotation_sets_are_refused(bad):
    with pytest.raises(ValueError):
        check_rotations(bad)
