import numpy as np
import pytest

from strategies import (
    SEQUENCE_STRATEGIES,
    InvalidProbabilitiesError,
    UnknownStrategyError,
    least_confidence,
    max_token_entropy,
    min_token_margin,
    mnlp,
    score_sequences,
    sequence_bald,
    token_entropy,
)

TOKEN_STRATEGIES = [mnlp, token_entropy, max_token_entropy, min_token_margin]
CERTAIN, UNIFORM = [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]
POOL = [
    np.array([[0.6, 0.3, 0.1], [0.9, 0.1, 0.0]]),
    np.array([CERTAIN, [0.0, 0.0, 1.0]]),
    np.zeros((0, 3)),
]


def h(*p):
    """Entropy in nats, written out."""
    return -sum(x * np.log(x) for x in p if x > 0)


def test_mnlp_rescales_the_geometric_mean_of_the_top_probabilities():
    first = (np.sqrt(0.6 * 0.9) - 1 / 3) / (1 - 1 / 3)
    np.testing.assert_allclose(mnlp(POOL), [first, 1.0, 1.0])


def test_token_entropy_averages_and_max_token_entropy_takes_the_worst_token():
    np.testing.assert_allclose(token_entropy(POOL), [1 - (h(0.6, 0.3, 0.1) + h(0.9, 0.1)) / 2 / np.log(3), 1.0, 1.0])
    np.testing.assert_allclose(max_token_entropy(POOL), [1 - h(0.6, 0.3, 0.1) / np.log(3), 1.0, 1.0])


def test_min_token_margin_takes_the_smallest_gap():
    np.testing.assert_allclose(min_token_margin(POOL), [min(0.6 - 0.3, 0.9 - 0.1), 1.0, 1.0])


def test_sequence_bald_averages_the_mutual_information_over_tokens():
    disagree, agree = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), ([0.5, 0.5, 0.0], [0.5, 0.5, 0.0])
    two_tokens = np.array([[disagree[0], agree[0]], [disagree[1], agree[1]]])  # (passes, tokens, tags)
    one_token = np.array([[[0.8, 0.2, 0.0]], [[0.4, 0.6, 0.0]]])
    information = h(0.6, 0.4) - (h(0.8, 0.2) + h(0.4, 0.6)) / 2
    np.testing.assert_allclose(sequence_bald([two_tokens, one_token, np.zeros((2, 0, 3))]),
                               [1 - (np.log(2) + 0.0) / 2 / np.log(3), 1 - information / np.log(3), 1.0])


@pytest.mark.parametrize('strategy', TOKEN_STRATEGIES)
def test_certain_tokens_score_one_and_uniform_tokens_zero(strategy):
    np.testing.assert_allclose(strategy([np.array([CERTAIN, CERTAIN]), np.array([UNIFORM] * 3)]), [1.0, 0.0],
                               atol=1e-9)


def test_sequence_bald_scores_three_passes_on_three_tags_zero_and_agreeing_passes_one():
    one_hot = np.eye(3)[:, None, :]  # three passes, one token, each pass sure of another tag
    np.testing.assert_allclose(sequence_bald([one_hot, np.stack([np.array([UNIFORM])] * 3)]), [0.0, 1.0], atol=1e-9)


def test_mnlp_on_one_token_is_least_confidence():
    tokens = np.array([[0.6, 0.3, 0.1], [0.5, 0.5, 0.0], UNIFORM, [0.2, 0.7, 0.1]])
    np.testing.assert_allclose(mnlp([row[None] for row in tokens]), least_confidence(tokens))


@pytest.mark.parametrize('strategy', TOKEN_STRATEGIES)
def test_lower_score_means_less_certain(strategy):
    sure = np.array([[0.95, 0.05, 0.0], [0.9, 0.05, 0.05]])
    unsure = np.array([[0.5, 0.4, 0.1], [0.9, 0.05, 0.05]])
    scores = strategy([sure, unsure])
    assert scores[1] < scores[0] and np.all((scores >= 0) & (scores <= 1))


def test_sequence_bald_lower_when_the_passes_disagree_more():
    close = np.array([[[0.7, 0.3, 0.0]], [[0.6, 0.4, 0.0]]])
    apart = np.array([[[0.9, 0.1, 0.0]], [[0.2, 0.8, 0.0]]])
    scores = sequence_bald([close, apart])
    assert scores[1] < scores[0]


def test_averages_spread_one_uncertain_token_over_the_text_and_worst_token_scores_do_not():
    uncertain = [0.4, 0.3, 0.3]
    long, short = np.array([CERTAIN] * 9 + [uncertain]), np.array([uncertain])
    np.testing.assert_allclose(mnlp([long, short]), [(0.4 ** (1 / 10) - 1 / 3) / (2 / 3), (0.4 - 1 / 3) / (2 / 3)])
    np.testing.assert_allclose(token_entropy([long, short]),
                               [1 - h(*uncertain) / 10 / np.log(3), 1 - h(*uncertain) / np.log(3)])
    np.testing.assert_allclose(max_token_entropy([long, short]), [1 - h(*uncertain) / np.log(3)] * 2)
    np.testing.assert_allclose(min_token_margin([long, short]), [0.4 - 0.3] * 2)


@pytest.mark.parametrize('strategy', [*TOKEN_STRATEGIES, sequence_bald])
def test_empty_pool_gives_no_scores(strategy):
    assert strategy([]).shape == (0,)


def pool(num_sequences=30, num_tags=5, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 6, size=num_sequences)
    p = [rng.dirichlet(np.ones(num_tags), size=n) for n in lengths]
    mc = [rng.dirichlet(np.ones(num_tags), size=(3, n)) for n in lengths]
    return p, mc, rng.normal(size=(num_sequences, 8)), rng.normal(size=(4, 8))


@pytest.mark.parametrize('name', SEQUENCE_STRATEGIES)
def test_every_strategy_scores_each_text_in_unit_interval(name):
    p, mc, embeddings, labeled = pool()
    scores = score_sequences(name, p, np.random.default_rng(1), mc_token_probabilities=mc, embeddings=embeddings,
                             labeled_embeddings=labeled, batch_size=8)
    assert scores.shape == (30,) and np.all((scores >= 0) & (scores <= 1))
    if name in ('badge', 'coreset'):
        assert np.sum(scores < 0.5) == 8


@pytest.mark.parametrize('name, strategy', [
    ('least_confidence', mnlp), ('margin', min_token_margin), ('entropy', token_entropy),
    ('max_entropy', max_token_entropy),
])
def test_names_map_to_the_sequence_functions(name, strategy):
    p, _, _, _ = pool()
    np.testing.assert_array_equal(score_sequences(name, p, None), strategy(p))


def test_badge_ignores_texts_of_certain_tokens_whatever_their_tags():
    # Averaging the tokens of text 0 would give [0.5, 0.5, 0], the most uncertain-looking row of the three.
    p = [np.array([CERTAIN, [0.0, 1.0, 0.0]]), np.array([[0.7, 0.3, 0.0]]), np.zeros((0, 3))]
    scores = score_sequences('badge', p, np.random.default_rng(0), embeddings=np.eye(3), batch_size=1)
    assert scores.argmin() == 1


@pytest.mark.parametrize('bad, message', [
    ([np.array([0.5, 0.5])], r'token_probabilities\[0\]: expected shape'),
    ([np.array([[1.0]])], 'num_tags >= 2'),
    ([np.array([CERTAIN]), np.array([[0.5, 0.5]])], r'token_probabilities\[1\]: .* agreeing with'),
    ([np.array([[0.7, 0.7, 0.0]])], 'sum to 1'),
    ([np.array([[1.5, -0.5, 0.0]])], 'non-negative'),
])
def test_rejects_what_is_not_a_distribution_per_token(bad, message):
    with pytest.raises(InvalidProbabilitiesError, match=message):
        mnlp(bad)


@pytest.mark.parametrize('name, missing', [('bald', 'mc_token_probabilities'), ('badge', 'embeddings'),
                                           ('coreset', 'batch_size')])
def test_strategies_name_the_input_they_lack(name, missing):
    with pytest.raises(ValueError, match=missing):
        score_sequences(name, POOL, np.random.default_rng(0), embeddings=None if name == 'badge' else np.eye(3))


def test_inputs_must_cover_every_text():
    p, mc, embeddings, _ = pool()
    with pytest.raises(InvalidProbabilitiesError, match='expected 30 texts'):
        score_sequences('bald', p, None, mc_token_probabilities=mc[:-1])
    with pytest.raises(ValueError, match='expected 30 rows'):
        score_sequences('coreset', p, np.random.default_rng(0), embeddings=embeddings[:-1], batch_size=3)


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(UnknownStrategyError, match='least_confidence, margin, entropy, max_entropy, bald, badge'):
        score_sequences("mnlp", POOL, np.random.default_rng(0))
