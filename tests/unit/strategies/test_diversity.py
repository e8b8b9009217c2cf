import numpy as np
import pytest

from strategies import EmptyPoolError, badge, greedy_coreset, selection_scores, typiclust


def unit(degrees):
    radians = np.deg2rad(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


def test_coreset_picks_the_farthest_from_the_labeled_then_from_the_batch():
    pool = unit([10, 90, 180, 100])
    selected = greedy_coreset(pool, unit([0]), 2, np.random.default_rng(0))
    assert selected.tolist() == [2, 1]


def test_coreset_without_labels_still_spreads_out():
    pool = unit([0, 1, 2, 180, 181])
    selected = greedy_coreset(pool, np.zeros((0, 2)), 2, np.random.default_rng(0))
    assert {0, 1, 2} & set(selected.tolist()) and {3, 4} & set(selected.tolist())


def test_badge_starts_with_the_longest_gradient_and_skips_duplicates():
    p = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    for seed in range(20):
        selected = badge(p, x, 2, np.random.default_rng(seed)).tolist()
        assert selected[0] in (0, 1)
        assert set(selected) != {0, 1}, 'a duplicate of a chosen gradient has probability 0'


def test_cold_start_takes_the_most_typical_of_each_cluster_biggest_first():
    big = unit([40, 44, 45, 46, 50])
    small = unit([178, 180, 182])
    selected = typiclust(np.vstack([small, big]), np.zeros((0, 2)), 2, np.random.default_rng(0), min_cluster=2)
    assert selected.tolist() == [5, 1]


def test_typiclust_takes_the_most_typical_sample_of_the_least_covered_cluster():
    pool = np.vstack([unit([40, 44, 45, 46, 50]), unit([178, 180, 182])])
    labeled = unit([45])
    # Two clusters: the big one around 45 degrees holds the labeled sample, the small one none. It is
    # uncovered, and its most typical sample is its middle, 180 degrees (position 6).
    assert typiclust(pool, labeled, 1, np.random.default_rng(0), min_cluster=2).tolist() == [6]
    # Under the minimum cluster size the small one is passed over while the big one has samples left: the
    # most typical there is the one beside the labeled sample (45 degrees, position 2).
    assert typiclust(pool, labeled, 1, np.random.default_rng(0), min_cluster=5).tolist() == [2]
    # Nothing labeled, two picks: two clusters, the larger first.
    assert typiclust(pool, np.zeros((0, 2)), 2, np.random.default_rng(0), min_cluster=2).tolist() == [2, 6]


def test_selection_scores_order_the_batch_first_then_the_rest():
    scores = selection_scores([2, 0], [0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(scores, [0.25, 0.7, 0.0, 0.9])
    assert np.argsort(scores).tolist() == [2, 0, 1, 3]


@pytest.mark.parametrize('select', [
    lambda x, n: greedy_coreset(x, np.zeros((0, 2)), n, np.random.default_rng(0)),
    lambda x, n: badge(np.full((len(x), 2), 0.5), x, n, np.random.default_rng(0)),
    lambda x, n: typiclust(x, unit([15, 200]), n, np.random.default_rng(0)),
])
def test_shared_contract_n_distinct_indices_and_an_error_past_the_pool(select):
    x = unit(np.arange(0, 360, 30))
    chosen = select(x, 5)
    assert len(chosen) == 5 and len(set(chosen.tolist())) == 5
    assert chosen.min() >= 0 and chosen.max() < len(x)
    with pytest.raises(EmptyPoolError, match='pool size'):
        select(x, len(x) + 1)


def test_typicality_in_row_chunks_equals_the_whole_matrix():
    from strategies.cold_start import _typicality
    members = np.random.default_rng(0).normal(size=(50, 3))
    np.testing.assert_allclose(_typicality(members, 5, rows=7), _typicality(members, 5, rows=1000))


def test_typiclust_samples_a_large_cluster_and_still_picks_an_unlabeled_typical_sample():
    from strategies.cold_start import _typicality
    pool = unit(np.random.default_rng(0).normal(size=300) * 10)  # one cluster, densest around 0 degrees
    picked, = typiclust(pool, np.zeros((0, 2)), 1, np.random.default_rng(1), max_members=150)
    typicality = _typicality(pool, 20)
    assert typicality[picked] >= np.quantile(typicality, 0.75), 'among the most typical of the whole cluster'
    labeled = pool[:299] + 1e-9  # all but the last are labeled: a sample must still hold an unlabeled one
    assert typiclust(pool, labeled, 1, np.random.default_rng(1), max_members=50).tolist() == [299]
