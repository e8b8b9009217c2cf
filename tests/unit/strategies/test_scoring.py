import numpy as np
import pytest

from strategies import STRATEGIES, UnknownStrategyError, check_strategy, random_scores, score


def test_every_strategy_scores_each_sample_in_unit_interval():
    p = np.random.default_rng(0).dirichlet(np.ones(4), size=50)
    for name in STRATEGIES:
        scores = score(name, p, np.random.default_rng(1))
        assert scores.shape == (50,)
        assert np.all((scores >= 0) & (scores <= 1)), name


def test_multi_label_scores_a_sample_by_its_most_uncertain_label():
    p = np.array([[0.5, 0.9], [0.95, 0.02]])
    np.testing.assert_allclose(score('margin', p, None, multi_label=True), [0.0, 0.9])


def test_random_is_reproducible_with_a_seeded_generator():
    a = random_scores(5, np.random.default_rng(7))
    b = random_scores(5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert len(set(a)) == 5


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(UnknownStrategyError, match='margin, least_confidence, entropy, random'):
        check_strategy('smallest_margin')
