import pytest
import torch

from model.detection.boxes import (
    batched_nms,
    box_iou,
    clip_percent,
    percent_to_xyxy,
    region_percent,
    rotated_bounds,
    xyxy_to_percent,
)


def close(actual, expected):
    torch.testing.assert_close(actual, torch.tensor(expected, dtype=torch.float32), rtol=0, atol=1e-4)


def test_percent_to_pixels_and_back_on_label_studios_example():
    # The RectangleLabels docs' result: a 1920 x 1280 image, x 3.1 %, y 8.2 %, 20 % wide, 16 % high.
    xywh = [[3.1, 8.2, 20.0, 16.0]]
    pixels = percent_to_xyxy(xywh, 1920, 1280)
    close(pixels, [[59.52, 104.96, 59.52 + 384, 104.96 + 204.8]])
    close(percent_to_xyxy(xywh, 1, 1), [[0.031, 0.082, 0.231, 0.242]])
    close(xyxy_to_percent(pixels, 1920, 1280), xywh)
    assert percent_to_xyxy([], 10, 10).shape == (0, 4)


def test_rotation_by_90_degrees_is_done_in_pixels():
    # Label Studio issue 2293: on a 1000 x 500 image, a 300 x 100 px box at (200, 100) turned 90 degrees
    # covers the same pixels as an upright 100 x 300 px box at (100, 100).
    turned = [[20.0, 20.0, 30.0, 20.0]]
    close(rotated_bounds(turned, [90.0], 1000, 500), [[10.0, 20.0, 10.0, 60.0]])


@pytest.mark.parametrize('rotation, expected', [
    (0.0, [50.0, 10.0, 10.0, 10.0]),
    (180.0, [40.0, 0.0, 10.0, 10.0]),  # turned over its top-left corner, up and to the left
    (45.0, [50 - 50 ** 0.5, 10.0, 2 * 50 ** 0.5, 2 * 50 ** 0.5]),  # a diamond hanging from (50, 10)
    (-90.0, [50.0, 0.0, 10.0, 10.0]),  # counter-clockwise: up and to the right
])
def test_rotated_bounds_turn_clockwise_around_the_top_left_corner(rotation, expected):
    close(rotated_bounds([[50.0, 10.0, 10.0, 10.0]], [rotation], 100, 100), [expected])


def test_region_percent_reads_a_result():
    result = {'original_width': 1000, 'original_height': 500, 'type': 'rectanglelabels',
              'value': {'x': 20, 'y': 20, 'width': 30, 'height': 20, 'rotation': 90, 'rectanglelabels': ['car']}}
    close(region_percent(result), [10.0, 20.0, 10.0, 60.0])
    upright = {'value': {'x': 1, 'y': 2, 'width': 3, 'height': 4, 'rotation': 0}}
    close(region_percent(upright), [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize('result, message', [
    ({'value': {'x': 1, 'y': 2, 'width': 3}}, 'result: value has no number height'),
    ({'value': {'x': 1, 'y': 2, 'width': 3, 'height': 4, 'rotation': 30}}, 'needs original_width'),
    ({'original_width': 0, 'original_height': 5, 'value': {'x': 1, 'y': 2, 'width': 3, 'height': 4, 'rotation': 30}},
     'needs original_width'),
])
def test_region_percent_refuses_what_it_cannot_place(result, message):
    with pytest.raises(ValueError, match=message):
        region_percent(result)


def test_clip_drops_degenerate_boxes_and_reports_the_clipped_ones():
    boxes = [
        [10.0, 10.0, 10.0, 10.0],  # inside: kept as it is
        [-5.0, 90.0, 20.0, 20.0],  # over the left and bottom edges: clipped
        [110.0, 10.0, 5.0, 5.0],  # wholly outside: dropped
        [10.0, 10.0, 0.0, 5.0],  # no width: dropped
        [10.0, 10.0, -5.0, 5.0],  # negative width: dropped
        [99.95, 0.0, 10.0, 10.0],  # 0.05 % wide once clipped, under MIN_SIZE_PERCENT: dropped
    ]
    clipped = clip_percent(boxes)
    close(clipped.boxes, [[10.0, 10.0, 10.0, 10.0], [0.0, 90.0, 15.0, 10.0]])
    assert clipped.kept.tolist() == [True, True, False, False, False, False]
    assert clipped.clipped.tolist() == [False, True, False, False, False, False]
    assert (int((~clipped.kept).sum()), int(clipped.clipped.sum())) == (4, 1)
    assert clip_percent(boxes, min_size=0.01).kept.tolist() == [True, True, False, False, False, True]


def test_iou_of_hand_computed_pairs():
    a = [[0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 5.0, 5.0]]  # the second has no area
    b = [[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 5.0, 5.0]]
    # 1 x 1 overlap of two 2 x 2 boxes: 1 / (4 + 4 - 1); two empty boxes: 0, not nan.
    close(box_iou(a, b), [[1 / 7, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert box_iou(a, []).shape == (2, 0)


def test_nms_keeps_the_best_of_each_class_best_first():
    boxes = [
        [0, 0, 10, 10],  # 0: kept
        [1, 1, 11, 11],  # 1: IoU 81 / 119 with box 0, same class: suppressed
        [1, 1, 11, 11],  # 2: other class: kept
        [20, 20, 30, 30],  # 3: apart, best score: kept first
        [40, 40, 50, 50],  # 4: apart, under the score threshold
    ]
    scores = [0.9, 0.8, 0.7, 0.95, 0.05]
    labels = [0, 0, 1, 0, 1]
    assert batched_nms(boxes, scores, labels, 0.5, score_threshold=0.1).tolist() == [3, 0, 2]
    assert batched_nms(boxes, scores, labels, 0.5).tolist() == [3, 0, 2, 4]
    assert batched_nms(boxes, scores, labels, 0.5, max_detections=2).tolist() == [3, 0]
    assert batched_nms(boxes, scores, labels, 0.7).tolist() == [3, 0, 1, 2, 4]  # 0.68 is under 0.7


def test_nms_only_suppresses_with_kept_boxes():
    # IoU 0.43 for neighbours, 0.11 for the two ends: box 1 goes, so box 2 stays.
    boxes = [[0, 0, 10, 10], [4, 0, 14, 10], [8, 0, 18, 10]]
    assert batched_nms(boxes, [0.9, 0.8, 0.7], [0, 0, 0], 0.3).tolist() == [0, 2]


def test_nms_on_ties_and_empty_input():
    assert batched_nms([[0, 0, 1, 1], [5, 5, 6, 6]], [0.5, 0.5], [0, 0], 0.5).tolist() == [0, 1]
    kept = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.long), 0.5)
    assert kept.dtype == torch.long and kept.shape == (0,)


@pytest.mark.parametrize('kwargs, message', [
    ({'labels': [0]}, r'scores, labels: expected one per box \(2\), got 2 and 1'),
    ({'max_detections': -1}, 'max_detections: expected None or at least 0'),
])
def test_nms_checks_its_arguments(kwargs, message):
    arguments = {'boxes': [[0, 0, 1, 1], [5, 5, 6, 6]], 'scores': [0.5, 0.4], 'labels': [0, 0], 'iou_threshold': 0.5}
    with pytest.raises(ValueError, match=message):
        batched_nms(**{**arguments, **kwargs})
