import numpy as np
import pytest

from strategies import (
    STRATEGIES,
    InvalidProbabilitiesError,
    UnknownStrategyError,
    check_strategy,
    random_scores,
    score,
    strategy_at,
)


def pool(num_samples=50, num_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(num_classes), size=num_samples)
    mc = np.stack([rng.dirichlet(np.ones(num_classes), size=num_samples) for _ in range(3)])
    return p, mc, rng.normal(size=(num_samples, 8)), rng.normal(size=(5, 8))


@pytest.mark.parametrize('name', STRATEGIES)
def test_every_strategy_scores_each_sample_in_unit_interval(name):
    p, mc, embeddings, labeled = pool()
    scores = score(name, p, np.random.default_rng(1), mc_probabilities=mc, embeddings=embeddings,
                   labeled_embeddings=labeled, batch_size=10, labeled_counts=np.arange(p.shape[1]))
    assert scores.shape == (50,)
    assert np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize('name', STRATEGIES)
def test_every_strategy_handles_multi_label(name):
    p = np.random.default_rng(2).uniform(size=(30, 3))
    mc = np.random.default_rng(3).uniform(size=(4, 30, 3))
    scores = score(name, p, np.random.default_rng(1), multi_label=True, mc_probabilities=mc,
                   embeddings=np.random.default_rng(4).normal(size=(30, 6)), batch_size=5, labeled_counts=[3, 0, 1])
    assert scores.shape == (30,) and np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize('name', ['badge', 'coreset', 'balanced'])
def test_batch_strategies_give_the_batch_the_lowest_scores(name):
    p, _, embeddings, _ = pool()
    scores = score(name, p, np.random.default_rng(1), embeddings=embeddings, batch_size=10,
                   labeled_counts=np.zeros(p.shape[1]))
    assert np.sum(scores < 0.5) == 10
    assert len(set(np.round(scores[scores < 0.5], 6))) == 10, 'the batch keeps its selection order'


def test_multi_label_scores_a_sample_by_its_most_uncertain_label():
    p = np.array([[0.5, 0.9], [0.95, 0.02]])
    np.testing.assert_allclose(score('margin', p, None, multi_label=True), [0.0, 0.9])


def test_random_is_reproducible_with_a_seeded_generator():
    a = random_scores(5, np.random.default_rng(7))
    b = random_scores(5, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert len(set(a)) == 5


@pytest.mark.parametrize('name, missing', [('bald', 'mc_probabilities'), ('badge', 'embeddings')])
def test_strategies_name_the_input_they_lack(name, missing):
    with pytest.raises(ValueError, match=missing):
        score(name, np.full((3, 2), 0.5), np.random.default_rng(0))


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(UnknownStrategyError, match='margin, least_confidence, entropy, bald, badge, coreset'):
        check_strategy('smallest_margin')


def test_a_schedule_switches_strategy_at_a_label_count():
    assert check_strategy('typiclust@100/margin') == 'typiclust@100/margin'
    assert [strategy_at('typiclust@100/margin', n) for n in (0, 99, 100, 400)] == ['typiclust', 'typiclust',
                                                                                 'margin', 'margin']
    assert strategy_at('margin', 1000) == 'margin'
    for name in ('typiclust@100/psychic', 'psychic@100/margin', 'typiclust@0/margin', 'typiclust@x/margin',
                 'typiclust@100', 'typiclust@100/margin@200/bald'):
        with pytest.raises(UnknownStrategyError, match='or FIRST@N/THEN of two of them'):
            check_strategy(name)


@pytest.mark.parametrize('name', ['margin', 'entropy', 'least_confidence'])
def test_probabilities_that_are_not_finite_are_refused(name):
    with pytest.raises(InvalidProbabilitiesError, match='finite'):
        score(name, [[np.nan, np.nan], [0.3, 0.7]], np.random.default_rng(0))
