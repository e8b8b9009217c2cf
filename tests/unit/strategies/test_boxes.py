import numpy as np

from strategies.boxes import flip_horizontally, iou

SQUARE = [0.0, 0.0, 0.5, 0.5]


def test_pairwise_iou_is_intersection_over_union():
    others = np.array([SQUARE, [0.25, 0.25, 0.75, 0.75], [0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.25]])
    expected = [[1.0, 0.0625 / (0.25 + 0.25 - 0.0625), 0.0, 0.5]]
    np.testing.assert_allclose(iou(np.array([SQUARE])[:, None], others[None]), expected)


def test_aligned_pairs_and_zero_area_boxes():
    point = [0.3, 0.3, 0.3, 0.3]
    np.testing.assert_allclose(iou([SQUARE, point], [[0.0, 0.0, 0.25, 0.5], point]), [0.5, 0.0])


def test_flip_horizontally_mirrors_x_and_is_its_own_inverse():
    boxes = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(flip_horizontally(boxes), [[0.7, 0.2, 0.9, 0.4], [0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(flip_horizontally(flip_horizontally(boxes)), boxes)
