"""Rare classes in `lsal simulate`: the split's quotas and the figures and summary they give."""
from collections import Counter

import pytest

from simulation.replay import SimulationConfig, rare_figures, split, summarize
from simulation.report import classes_table

CLASSES = ['a'] * 300 + ['b'] * 100 + ['c'] * 100


def test_each_rare_class_gets_its_share_of_test_set_and_pool():
    config = SimulationConfig(pool_size=200, test_size=100, budget=50, rare=(('b', 0.04), ('c', 0.1)))
    test, pool = split(len(CLASSES), config, 3, CLASSES)
    assert (len(test), len(pool)) == (100, 200) and not set(test) & set(pool)
    assert Counter(CLASSES[i] for i in test) == {'a': 86, 'b': 4, 'c': 10}
    assert Counter(CLASSES[i] for i in pool) == {'a': 172, 'b': 8, 'c': 20}
    again, other = split(len(CLASSES), config, 3, CLASSES), split(len(CLASSES), config, 4, CLASSES)
    assert [list(part) for part in again] == [list(test), list(pool)], 'reproducible per seed'
    assert list(other[1]) != list(pool)
    assert sorted(pool) != list(pool), 'still shuffled'


def test_a_pool_the_dataset_cannot_fill_is_refused_naming_the_class():
    config = SimulationConfig(pool_size=400, test_size=100, budget=50, rare=(('b', 0.3),))
    with pytest.raises(ValueError, match='b has 70 left, 120 needed'):
        split(len(CLASSES), config, 0, CLASSES)
    tiny = SimulationConfig(pool_size=200, test_size=100, budget=50, rare=(('b', 0.001),))
    with pytest.raises(ValueError, match='b at 0.001 of 100 rounds to none'):
        split(len(CLASSES), tiny, 0, CLASSES)


@pytest.mark.parametrize('rare', [(('b', 0.0),), (('b', 1.0),), (('b', 0.6), ('c', 0.5)), (('b', 0.1), ('b', 0.2))])
def test_fractions_outside_zero_one_or_a_class_twice_are_refused(rare):
    with pytest.raises(ValueError, match='rare'):
        SimulationConfig(rare=rare)


def test_rare_figures_by_hand():
    metrics = {'f1_per_label': {'a': 0.9, 'b': 0.5}, 'recall_per_label': {'a': 1.0, 'b': 0.25, 'c': 0.0}}
    # c was never predicted and is in the test set: its F1 counts as 0.
    assert rare_figures({'a': 10, 'b': 3, 'c': 1}, metrics, ['b', 'c']) == {
        'rare_found': 4, 'rare_f1': 0.25, 'rare_recall': 0.125}


def test_summary_pairs_rare_examples_found_and_areas_with_random():
    rows = [{'strategy': strategy, 'seed': seed, 'labels': n, 'accuracy': 0.8, 'macro_f1': f1, 'rare_f1': f1 / 2,
             'rare_found': found, 'rare_recall': 0.5, 'train_seconds': 1.0, 'query_seconds': 0.0}
            for strategy, seed, curve in (
                ('random', 0, [(100, 0.5, 1), (200, 0.7, 2)]), ('random', 1, [(100, 0.5, 3), (200, 0.5, 4)]),
                ('balanced', 0, [(100, 0.6, 4), (200, 0.8, 8)]), ('balanced', 1, [(100, 0.6, 2), (200, 0.8, 6)]))
            for n, f1, found in curve]
    summary = summarize(rows, label_counts=(100, 200))
    balanced = summary['balanced']
    assert balanced['rare_found@200'] == pytest.approx((7.0, 1.0))
    assert balanced['rare_found_ratio@100'] == pytest.approx(6 / 4)
    assert balanced['rare_found_ratio@200'] == pytest.approx(14 / 6)
    # Areas: random 0.6 and 0.5, balanced 0.7 and 0.7; rare F1 is half of each.
    assert balanced['macro_f1_aulc_gain'] == pytest.approx((0.15, 0.05))
    assert balanced['rare_f1_aulc_gain'] == pytest.approx((0.075, 0.025))
    assert balanced['rare_recall@200'] == pytest.approx((0.5, 0.0))
    table = classes_table(summary)
    assert '| balanced | 0.700 ± 0.000 | +15.0 ± 5.0 | 3.0 ± 1.0 | 7.0 ± 1.0 | 1.50× | 2.33× |' in table
    assert classes_table({'s': {'aulc': (0.5, 0.0)}}) == ''
