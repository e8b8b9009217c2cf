import numpy as np
import pytest

from strategies import BATCH_STRATEGIES, InvalidProbabilitiesError, UnknownStrategyError
from strategies.boxes import flip_horizontally
from strategies.detection import (
    DETECTION_STRATEGIES,
    consistency,
    image_uncertainty,
    score_detections,
)

# Five images, three classes, threshold 0.5: two detections and a candidate below the threshold; one
# certain detection; only candidates, the best at 0.45; no candidate at all; one candidate at 0.02.
P = [
    np.array([[0.6, 0.3, 0.1], [0.9, 0.1, 0.0], [0.4, 0.4, 0.2]]),
    np.array([[1.0, 0.0, 0.0]]),
    np.array([[0.5, 0.5, 0.0], [0.2, 0.2, 0.6]]),
    np.zeros((0, 3)),
    np.array([[0.1, 0.1, 0.8]]),
]
C = [np.array([0.9, 0.8, 0.3]), np.array([0.95]), np.array([0.45, 0.1]), np.zeros(0), np.array([0.02])]
UNDETECTED = [0.45 / 0.5, 0.0, 0.02 / 0.5]  # uncertainty of images 2, 3 and 4: best candidate / threshold


def h(*p):
    """Entropy in nats, written out."""
    return -sum(x * np.log(x) for x in p if x > 0)


def strip(x1, x2):
    """A full-height box: the IoU of two strips is that of their x intervals."""
    return [x1, 0.0, x2, 1.0]


@pytest.mark.parametrize('measure, uncertainties', [
    ('margin', [1 - 0.3, 1 - 0.8]),
    ('least_confidence', [1 - (0.6 - 1 / 3) / (2 / 3), 1 - (0.9 - 1 / 3) / (2 / 3)]),
    ('entropy', [h(0.6, 0.3, 0.1) / np.log(3), h(0.9, 0.1) / np.log(3)]),
])
def test_max_and_mean_aggregate_the_detections_and_undetected_images_score_their_best_candidate(
        measure, uncertainties):
    rest = [1 - u for u in UNDETECTED]
    np.testing.assert_allclose(image_uncertainty(P, C, measure, 'max'), [1 - max(uncertainties), 1.0, *rest])
    np.testing.assert_allclose(image_uncertainty(P, C, measure, 'mean'), [1 - np.mean(uncertainties), 1.0, *rest])


def test_sum_adds_the_detections_up_and_divides_by_the_largest_sum_of_the_pool():
    sums = [0.7 + 0.2, 0.0, *UNDETECTED]
    np.testing.assert_allclose(image_uncertainty(P, C, 'margin', 'sum'), 1 - np.array(sums) / 0.9)


def test_sum_favours_many_uncertain_boxes_where_max_and_mean_do_not():
    one, three = [np.array([[0.6, 0.4]])], [np.array([[0.6, 0.4]] * 3)]
    confident = [np.ones(1)], [np.ones(3)]
    p, c = one + three, confident[0] + confident[1]
    np.testing.assert_allclose(image_uncertainty(p, c, 'margin', 'sum'), [1 - 0.8 / 2.4, 0.0])
    for aggregate in ('max', 'mean'):
        np.testing.assert_allclose(image_uncertainty(p, c, 'margin', aggregate), [0.2, 0.2])


def test_an_image_without_detections_ranks_by_its_best_candidate_and_without_candidates_ties_certain_ones():
    scores = image_uncertainty(P, C)
    assert scores[2] < scores[4] < scores[3] == scores[1] == 1.0


def test_the_threshold_decides_what_is_a_detection():
    # At 0.1 image 0's third candidate (margin 0) and image 2's candidates are detections; image 4's is not.
    np.testing.assert_allclose(image_uncertainty(P, C, threshold=0.1), [0.0, 1.0, 0.0, 1.0, 1 - 0.02 / 0.1])


def test_all_zero_confidences_leave_every_image_undetected_and_tied():
    zeros = [np.zeros(len(c)) for c in C]
    for aggregate in ('max', 'mean', 'sum'):
        np.testing.assert_array_equal(image_uncertainty(P, zeros, aggregate=aggregate), np.ones(5))


def test_consistency_matches_boxes_and_compares_place_and_class():
    certain, even = [0.8, 0.2], [0.5, 0.5]
    js = (h(0.6, 0.4) - (h(0.8, 0.2) + h(0.4, 0.6)) / 2) / np.log(2)
    p = [np.array([certain]), np.array([[1.0, 0.0]]), np.array([[0.9, 0.1]]), np.array([even]),
         np.zeros((0, 2)), np.array([certain])]
    boxes = [np.array([[0.0, 0.0, 0.5, 0.5]]), np.array([strip(0, 1)]), np.array([strip(0, 1)]),
             np.array([strip(0, 1)]), np.zeros((0, 4)), np.array([strip(0, 1)])]
    c = [np.array([0.9]), np.ones(1), np.ones(1), np.array([0.3]), np.zeros(0), np.ones(1)]
    fp = [np.array([certain, even]), np.array([[0.0, 1.0]]), np.array([[0.9, 0.1]]), np.array([even]),
          np.zeros((0, 2)), np.array([[0.4, 0.6]])]
    fboxes = [np.array([[0.0, 0.0, 0.5, 0.25], [0.6, 0.6, 1.0, 1.0]]), *boxes[1:]]
    fc = [np.array([0.9, 0.7]), np.ones(1), np.ones(1), np.array([0.4]), np.zeros(0), np.ones(1)]
    # Image 0: IoU 0.5 and the same classes, plus an unmatched flipped box; 1: same box, opposite classes;
    # 2: identical; 3: no detection, best candidate 0.4 over both views; 4: nothing; 5: half-disagreeing classes.
    np.testing.assert_allclose(consistency(p, boxes, c, fp, fboxes, fc),
                               [1 - (0.5 + 1) / 2, 0.0, 1.0, 1 - 0.4 / 0.5, 1.0, 1 - js], atol=1e-9)


def test_consistency_matches_greedily_highest_iou_first_each_box_once():
    # A-X overlap most; B prefers X too but only gets Y, although A-Y plus B-X would overlap more in total.
    a, b, x, y = strip(0.2, 0.78), strip(0.25, 0.8), strip(0.2, 0.8), strip(0.0, 0.3)
    two = [np.array([[0.9, 0.1]] * 2)]
    scores = consistency(two, [np.array([a, b])], [np.ones(2)], two, [np.array([x, y])], [np.ones(2)])
    np.testing.assert_allclose(scores, [1 - ((1 - 0.58 / 0.6) + (1 - 0.05 / 0.8)) / 2])


def test_consistency_counts_boxes_that_do_not_overlap_as_unmatched():
    one = [np.array([[0.9, 0.1]])]
    scores = consistency(one, [np.array([strip(0.0, 0.4)])], [np.ones(1)],
                         one, [np.array([strip(0.5, 1.0)])], [np.ones(1)])
    np.testing.assert_array_equal(scores, [0.0])


def test_the_mirrored_prediction_mapped_back_is_consistent_in_any_order():
    p, boxes = np.array([[0.7, 0.3], [0.2, 0.8]]), np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.9, 0.6]])
    on_flipped_image = flip_horizontally(boxes)[::-1]
    scores = consistency([p], [boxes], [np.ones(2)], [p[::-1]], [flip_horizontally(on_flipped_image)], [np.ones(2)])
    np.testing.assert_allclose(scores, [1.0])


def pool(num_images=30, num_classes=4, seed=0):
    rng = np.random.default_rng(seed)

    def predictions():
        lengths = rng.integers(0, 6, size=num_images)
        p = [rng.dirichlet(np.ones(num_classes), size=n) for n in lengths]
        boxes = [np.sort(rng.uniform(size=(n, 2, 2)), axis=1).reshape(n, 4) for n in lengths]
        return p, boxes, [rng.uniform(size=n) for n in lengths]
    return predictions(), predictions(), rng.normal(size=(num_images, 8)), rng.normal(size=(4, 8))


def score_pool(name, original, flipped, embeddings, labeled, batch_size=8):
    return score_detections(name, *original, np.random.default_rng(1), flipped_class_probabilities=flipped[0],
                            flipped_boxes=flipped[1], flipped_confidences=flipped[2], embeddings=embeddings,
                            labeled_embeddings=labeled, batch_size=batch_size)


@pytest.mark.parametrize('name', DETECTION_STRATEGIES)
def test_every_strategy_scores_each_image_in_unit_interval(name):
    scores = score_pool(name, *pool())
    assert scores.shape == (30,) and np.all((scores >= 0) & (scores <= 1))
    if name in ('badge', 'coreset'):
        assert np.sum(scores < 0.5) == 8


@pytest.mark.parametrize('name', DETECTION_STRATEGIES)
def test_every_strategy_scores_images_without_boxes(name):
    empty = ([np.zeros((0, 3))] * 4, [np.zeros((0, 4))] * 4, [np.zeros(0)] * 4)
    scores = score_pool(name, empty, empty, np.eye(4), None, batch_size=2)
    assert scores.shape == (4,) and np.all((scores >= 0) & (scores <= 1))
    if name not in (*BATCH_STRATEGIES, 'random'):
        np.testing.assert_array_equal(scores, np.ones(4))


@pytest.mark.parametrize('name', [n for n in DETECTION_STRATEGIES if n not in BATCH_STRATEGIES])
def test_an_empty_pool_gives_no_scores(name):
    empty = ([], [], [])
    assert score_pool(name, empty, empty, np.zeros((0, 8)), None).shape == (0,)


@pytest.mark.parametrize('name, measure, aggregate', [
    ('least_confidence', 'least_confidence', 'max'), ('margin', 'margin', 'max'), ('entropy', 'entropy', 'max'),
    ('margin_mean', 'margin', 'mean'), ('entropy_sum', 'entropy', 'sum'),
    ('least_confidence_sum', 'least_confidence', 'sum'),
])
def test_names_map_to_a_measure_and_an_aggregate(name, measure, aggregate):
    (p, boxes, c), _, _, _ = pool()
    expected = image_uncertainty(p, c, measure, aggregate)
    np.testing.assert_array_equal(score_detections(name, p, boxes, c, None), expected)


def test_badge_takes_gradients_from_detections_only():
    # Image 0's only box is a coin flip, but below the threshold: it has no gradient.
    p = [np.array([[0.5, 0.5]]), np.array([[0.7, 0.3]]), np.array([[1.0, 0.0]])]
    c = [np.array([0.4]), np.ones(1), np.ones(1)]
    boxes = [np.array([[0.0, 0.0, 0.5, 0.5]])] * 3
    scores = score_detections('badge', p, boxes, c, np.random.default_rng(0), embeddings=np.eye(3), batch_size=1)
    assert scores.argmin() == 1


@pytest.mark.parametrize('bad, message', [
    ([np.array([0.5, 0.5])], r'class_probabilities\[0\]: expected shape'),
    ([np.zeros((1, 0))], r'expected shape \(num_boxes, num_classes\)'),
    ([np.array([[0.5, 0.5]]), np.array([[1.0, 0.0, 0.0]])], r'class_probabilities\[1\]: .* agreeing with'),
    ([np.array([[0.7, 0.7]])], 'sum to 1'),
    ([np.array([[1.5, -0.5]])], 'non-negative'),
    ([np.zeros((1, 2))], 'sum to 1'),
])
def test_rejects_what_is_not_a_distribution_per_box(bad, message):
    confidences = [np.ones(len(np.atleast_2d(p))) for p in bad]
    with pytest.raises(InvalidProbabilitiesError, match=message):
        image_uncertainty(bad, confidences)


def test_one_class_scores_the_doubt_whether_a_box_is_an_object():
    # One label: each box's class is certain; 0.55 is a coin flip whether it is an object at all, 0.95 is not.
    p = [np.array([[1.0]]), np.array([[1.0]])]
    c = [np.array([0.55]), np.array([0.95])]
    margins = image_uncertainty(p, c, 'margin', threshold=0.5)
    assert margins == pytest.approx([0.1, 0.9])
    assert score_detections('least_confidence', p, [np.array([[0.0, 0.0, 0.5, 0.5]])] * 2, c,
                            np.random.default_rng(0), threshold=0.5) == pytest.approx([0.1, 0.9]), 'two-way: as margin'


def test_rejects_confidences_outside_the_unit_interval():
    with pytest.raises(InvalidProbabilitiesError, match=r'confidences: every confidence must lie in \[0, 1\]'):
        image_uncertainty([np.array([[0.5, 0.5]])], [np.array([1.2])])


@pytest.mark.parametrize('confidences, message', [
    ([np.ones(1)], 'confidences: expected 2 images'),
    ([np.ones(1), np.ones(2)], r'confidences\[1\]: expected shape \(1,\)'),
])
def test_confidences_must_cover_every_box(confidences, message):
    with pytest.raises(ValueError, match=message):
        image_uncertainty([np.array([[0.5, 0.5]])] * 2, confidences)


@pytest.mark.parametrize('boxes, message', [
    ([np.zeros((1, 4))], 'boxes: expected 2 images'),
    ([np.zeros((1, 4)), np.zeros((1, 5))], r'boxes\[1\]: expected shape \(1, 4\)'),
    ([np.zeros((1, 4)), np.array([[0.5, 0.0, 0.4, 1.0]])], 'x1 <= x2 and y1 <= y2'),
])
def test_consistency_checks_the_boxes(boxes, message):
    p, c = [np.array([[0.5, 0.5]])] * 2, [np.ones(1)] * 2
    with pytest.raises(ValueError, match=message):
        consistency(p, boxes, c, p, [np.zeros((1, 4))] * 2, c)


def test_consistency_needs_both_views_of_every_image_with_the_same_classes():
    p, boxes, c = [np.array([[0.5, 0.5]])] * 2, [np.zeros((1, 4))] * 2, [np.ones(1)] * 2
    with pytest.raises(InvalidProbabilitiesError, match='expected 2 images of 2 classes'):
        consistency(p, boxes, c, p[:1], boxes[:1], c[:1])
    with pytest.raises(InvalidProbabilitiesError, match='got 2 of 3'):
        consistency(p, boxes, c, [np.array([[0.5, 0.5, 0.0]])] * 2, boxes, c)


@pytest.mark.parametrize('option, message', [
    ({'measure': 'bald'}, "measure: unknown 'bald'; choose one of margin, least_confidence, entropy"),
    ({'aggregate': 'min'}, "aggregate: unknown 'min'; choose one of max, mean, sum"),
    ({'threshold': 0.0}, 'threshold: expected 0 < threshold <= 1'),
])
def test_rejects_unknown_options(option, message):
    with pytest.raises(ValueError, match=message):
        image_uncertainty(P, C, **option)


@pytest.mark.parametrize('name, missing', [('consistency', 'flipped_class_probabilities'),
                                           ('badge', 'embeddings'), ('coreset', 'batch_size')])
def test_strategies_name_the_input_they_lack(name, missing):
    with pytest.raises(ValueError, match=missing):
        score_detections(name, P, [np.zeros((len(p), 4)) for p in P], C, np.random.default_rng(0),
                         embeddings=None if name == 'badge' else np.eye(5))


def test_embeddings_must_cover_every_image():
    with pytest.raises(ValueError, match='expected 5 rows, one per image'):
        score_detections('coreset', P, [], C, np.random.default_rng(0), embeddings=np.eye(4), batch_size=2)


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(UnknownStrategyError, match='entropy_sum, consistency, badge, coreset, typiclust, random'):
        score_detections('margin_max', P, [], C, np.random.default_rng(0))

