import numpy as np
import pytest

from strategies import class_balanced, label_studio_order, score

PROBABILITIES = np.array([[0.8, 0.2, 0.0],   # predicted 0, score 0.6
                          [0.3, 0.6, 0.1],   # predicted 1, score 0.3
                          [0.2, 0.7, 0.1],   # predicted 1, score 0.5
                          [0.5, 0.1, 0.4],   # predicted 0, score 0.1; the likeliest of class 2
                          [0.6, 0.1, 0.3]])  # predicted 0, score 0.3
SCORES = np.array([0.6, 0.3, 0.5, 0.1, 0.3])


def test_quotas_level_the_labeled_set_and_the_lacking_class_is_searched_for():
    # Counts 5, 2, 0 and 3 slots: class 2 gets two (levels 5, 2, 2), then class 1 one (the first lowest).
    # No sample is predicted as class 2: its slots take the likeliest of it, 3 then 4. Class 1 takes its most
    # uncertain predicted sample, 1. Turns: class 2, class 1, class 2.
    assert class_balanced(PROBABILITIES, [5, 2, 0], 3, SCORES).tolist() == [3, 1, 4]


def test_balanced_counts_give_every_class_its_most_uncertain_predicted_sample():
    # Counts equal: a slot each, class 0 first; each takes its predicted sample of lowest score, and class 2,
    # predicted nowhere, the likeliest of it not yet taken (3 went to class 0).
    assert class_balanced(PROBABILITIES, [1, 1, 1], 3, SCORES).tolist() == [3, 1, 4]
    assert class_balanced(PROBABILITIES, [0, 4, 4], 2, SCORES).tolist() == [3, 4]


def test_every_sample_once_whatever_the_batch():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=30)
    picked = class_balanced(p, [9, 0, 3, 1], 30, rng.random(30))
    assert sorted(picked.tolist()) == list(range(30))


def test_counts_must_match_the_classes():
    with pytest.raises(ValueError, match='labeled_counts: expected one count per class'):
        class_balanced(PROBABILITIES, [1, 2], 2, SCORES)


def test_score_puts_the_batch_first_then_the_rest_by_margin():
    scores = score('balanced', PROBABILITIES, np.random.default_rng(0), labeled_counts=[5, 2, 0], batch_size=3)
    assert np.argsort(scores, kind='stable')[:3].tolist() == [3, 1, 4]
    assert scores[[3, 1, 4]].max() < scores[[0, 2]].min()
    with pytest.raises(ValueError, match='labeled_counts, batch_size: required'):
        score('balanced', PROBABILITIES, np.random.default_rng(0), batch_size=3)


def test_label_studio_serves_the_least_solved_cluster_then_the_lowest_score():
    scores = [0.1, 0.2, 0.3, 0.4, 0.5]
    clusters = [0, 0, 1, 1, 2]
    # Solved so far: cluster 0 twice, cluster 1 once, cluster 2 never. 4 (cluster 2) first; then only 2 and 3
    # (cluster 1, one solved) are at the fewest: 2 by score; then 0, 1 and 3 all at two: 0; then 3 (cluster 1
    # at two against cluster 0's three).
    assert label_studio_order(scores, clusters, {0: 2, 1: 1}, 4).tolist() == [4, 2, 0, 3]
    # Nothing solved: the scores' order, cluster by cluster as each gets one.
    assert label_studio_order(scores, clusters, {}, 3).tolist() == [0, 2, 4]
    assert label_studio_order(scores, [None] * 5, {}, 3).tolist() == [0, 1, 2], 'one cluster: plain score order'
