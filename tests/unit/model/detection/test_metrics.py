import math

import pytest

from model.detection.metrics import detection_metrics, matched_f1


def metrics(truth, guess):
    """``detection_metrics`` of per-image lists of ``(box, label)`` and ``(box, label, score)``."""
    return detection_metrics([[box for box, _ in image] for image in truth],
                             [[label for _, label in image] for image in truth],
                             [[box for box, _, _ in image] for image in guess],
                             [[label for _, label, _ in image] for image in guess],
                             [[score for _, _, score in image] for image in guess])


def test_a_perfect_prediction_scores_one():
    truth = [[([0, 0, 10, 10], 'car'), ([20, 20, 40, 30], 'dog')], [([5, 5, 15, 15], 'car')]]
    guess = [[([0, 0, 10, 10], 'car', 0.9), ([20, 20, 40, 30], 'dog', 0.8)], [([5, 5, 15, 15], 'car', 0.7)]]
    result = metrics(truth, guess)
    assert (result['map'], result['map_50']) == (1.0, 1.0)
    assert result['per_class'] == result['per_class_50'] == {'car': 1.0, 'dog': 1.0}
    assert (result['num_eval'], result['num_boxes']) == (2, 3)


def test_one_hit_and_one_false_positive_of_two():
    # The best-scored box finds one of two cars, the other box finds nothing: precision 1 up to recall 0.5,
    # then no recall. COCO's AP reads precision at recall 0, 0.01, ..., 1: 51 of the 101 points are 1.
    truth = [[([0, 0, 10, 10], 'car'), ([20, 20, 30, 30], 'car')]]
    guess = [[([0, 0, 10, 10], 'car', 0.9), ([50, 50, 60, 60], 'car', 0.8)]]
    result = metrics(truth, guess)
    assert result['map'] == pytest.approx(51 / 101)
    assert result['map_50'] == pytest.approx(51 / 101)


def test_map_averages_over_iou_thresholds():
    # IoU 72 / 100: a hit at the thresholds 0.50 to 0.70 (5 of 10), a miss at 0.75 to 0.95.
    result = metrics([[([0, 0, 10, 10], 'car')]], [[([0, 0, 10, 7.2], 'car', 0.9)]])
    assert result['map'] == pytest.approx(0.5)
    assert result['map_50'] == 1.0
    assert result['per_class'] == pytest.approx({'car': 0.5})


def test_a_class_absent_from_the_truth_has_no_ap_and_images_without_truth_count():
    truth = [[([0, 0, 10, 10], 'car')], []]
    guess = [
        [([0, 0, 10, 10], 'car', 0.9), ([30, 30, 40, 40], 'bus', 0.99)],
        [([0, 0, 10, 10], 'car', 0.95)],  # a false positive on an image with no box, scored above the hit
    ]
    result = metrics(truth, guess)
    # Car: precision 1/2 at recall 1, so 0.5 at every recall point; bus: no true box, nan and left out.
    assert result['per_class']['car'] == pytest.approx(0.5)
    assert math.isnan(result['per_class']['bus']) and math.isnan(result['per_class_50']['bus'])
    assert result['map'] == pytest.approx(0.5)
    assert (result['num_eval'], result['num_boxes']) == (2, 1)


def test_no_prediction_scores_zero():
    result = metrics([[([0, 0, 10, 10], 'car')], []], [[], []])
    assert (result['map'], result['map_50'], result['per_class']) == (0.0, 0.0, {'car': 0.0})


@pytest.mark.parametrize('truth, guess, num_eval', [
    ([[], []], [[], []], 2),  # nothing true, nothing predicted
    ([[]], [[([0, 0, 10, 10], 'car', 0.9)]], 1),  # nothing true: false positives alone have no AP
    ([], [], 0),  # no image
])
def test_without_a_true_box_every_score_is_nan(truth, guess, num_eval):
    result = metrics(truth, guess)
    assert math.isnan(result['map']) and math.isnan(result['map_50'])
    assert all(math.isnan(ap) for ap in result['per_class'].values())
    assert (result['num_eval'], result['num_boxes']) == (num_eval, 0)


def test_evaluation_prints_nothing(capsys):
    metrics([[([0, 0, 10, 10], 'car')]], [[([0, 0, 10, 10], 'car', 0.9)]])
    assert capsys.readouterr() == ('', '')


@pytest.mark.parametrize('args, message', [
    (([[]], [[]], [], [], []), 'pred_boxes: expected 1 images, got 0'),
    (([[[0, 0, 1, 1]]], [[]], [[]], [[]], [[]]), 'true_boxes: image 0 has 1 boxes but 0 labels'),
    (([[]], [[]], [[[0, 0, 1, 1]]], [['car']], [[]]), 'pred_boxes: image 0 has 1 boxes but 1 labels and 0 scores'),
])
def test_metrics_check_their_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        detection_metrics(*args)


def test_matched_f1_on_a_hand_example():
    boxes_a = [[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]
    labels_a = ['car', 'car', 'dog']
    boxes_b = [[1, 1, 11, 11], [20, 20, 30, 30], [50, 50, 60, 60], [80, 80, 90, 90]]
    labels_b = ['car', 'dog', 'dog', 'dog']
    # car-car at IoU 81/119 and dog-dog at 1 match; the second car meets a dog: 2 matches of 3 + 4 boxes.
    assert matched_f1(boxes_a, labels_a, boxes_b, labels_b) == pytest.approx(4 / 7)
    assert matched_f1(boxes_b, labels_b, boxes_a, labels_a) == pytest.approx(4 / 7)
    assert matched_f1(boxes_a, labels_a, boxes_b, labels_b, iou=0.7) == pytest.approx(2 / 7)


def test_matched_f1_matches_the_highest_iou_first_and_each_box_once():
    # Both boxes of b overlap the one box of a (IoU 0.9 and 0.6): one match, of 1 + 2 boxes.
    assert matched_f1([[0, 0, 10, 10]], ['car'], [[0, 0, 10, 6], [0, 0, 10, 9]], ['car', 'car']) == pytest.approx(2 / 3)
    # IoU exactly 0.5 is a match.
    assert matched_f1([[0, 0, 10, 10]], ['car'], [[0, 0, 10, 5]], ['car']) == 1.0


def test_matched_f1_of_empty_sets():
    assert matched_f1([], [], [], []) == 1.0
    assert matched_f1([[0, 0, 10, 10]], ['car'], [], []) == 0.0
    assert matched_f1([], [], [[0, 0, 10, 10]], ['car']) == 0.0


def test_matched_f1_checks_its_arguments():
    with pytest.raises(ValueError, match='labels_b: expected 1 labels, got 2'):
        matched_f1([[0, 0, 10, 10]], ['car'], [[0, 0, 10, 10]], ['car', 'dog'])
