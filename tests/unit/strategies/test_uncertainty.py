import numpy as np
import pytest

from strategies import InvalidProbabilitiesError, entropy, least_confidence, margin

THREE_CLASSES = np.array([
    [1 / 3, 1 / 3, 1 / 3],
    [0.6, 0.3, 0.1],
    [0.5, 0.5, 0.0],
    [1.0, 0.0, 0.0],
])


def test_least_confidence_rescales_top_probability():
    np.testing.assert_allclose(least_confidence(THREE_CLASSES), [0.0, 0.4, 0.25, 1.0])


def test_margin_is_gap_between_two_best_classes():
    np.testing.assert_allclose(margin(THREE_CLASSES), [0.0, 0.3, 0.0, 1.0])


def test_entropy_is_one_minus_normalised_entropy():
    h = -(0.6 * np.log(0.6) + 0.3 * np.log(0.3) + 0.1 * np.log(0.1))
    np.testing.assert_allclose(entropy(THREE_CLASSES), [0.0, 1 - h / np.log(3), 1 - np.log(2) / np.log(3), 1.0],
                               atol=1e-9)


@pytest.mark.parametrize('strategy', [least_confidence, margin, entropy])
def test_lower_score_means_less_certain(strategy):
    sure, unsure = [0.95, 0.05], [0.55, 0.45]
    scores = strategy(np.array([sure, unsure]))
    assert scores[1] < scores[0]
    assert np.all((scores >= 0) & (scores <= 1))


def test_with_two_classes_all_three_rank_tasks_alike():
    # Each score rises with the top probability, so on a binary task the three are one strategy.
    probabilities = np.array([[0.97, 0.03], [0.5, 0.5], [0.19, 0.81], [0.66, 0.34], [0.41, 0.59], [0.1, 0.9]])
    for strategy in (least_confidence, margin, entropy):
        assert list(np.argsort(strategy(probabilities))) == [1, 4, 3, 2, 5, 0]


@pytest.mark.parametrize('strategy', [least_confidence, margin, entropy])
def test_empty_pool_gives_no_scores(strategy):
    assert strategy(np.zeros((0, 3))).shape == (0,)


@pytest.mark.parametrize('bad, message', [
    (np.array([0.5, 0.5]), 'expected shape'),
    (np.array([[1.0], [1.0]]), 'num_classes >= 2'),
    (np.array([[0.7, 0.7]]), 'sum to 1'),
    (np.array([[1.5, -0.5]]), 'non-negative'),
])
def test_rejects_what_is_not_a_distribution(bad, message):
    with pytest.raises(InvalidProbabilitiesError, match=message):
        margin(bad)
