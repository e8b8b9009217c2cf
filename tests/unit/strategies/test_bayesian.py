import numpy as np
import pytest

from strategies import InvalidProbabilitiesError, bald


def test_disagreeing_passes_score_zero_and_agreeing_passes_one():
    passes = np.array([
        [[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]],
        [[0.0, 1.0], [0.5, 0.5], [0.9, 0.1]],
    ])
    np.testing.assert_allclose(bald(passes), [0.0, 1.0, 1.0], atol=1e-9)


def test_partial_disagreement_is_hand_computed():
    passes = np.array([[[0.8, 0.2]], [[0.4, 0.6]]])

    def h(p):
        return -sum(x * np.log(x) for x in p)
    information = h([0.6, 0.4]) - (h([0.8, 0.2]) + h([0.4, 0.6])) / 2
    np.testing.assert_allclose(bald(passes), [1 - information / np.log(2)])


def test_needs_at_least_two_passes():
    with pytest.raises(InvalidProbabilitiesError, match='num_passes >= 2'):
        bald(np.full((1, 3, 2), 0.5))
