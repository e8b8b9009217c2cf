import math

import pytest

from model.spans import entity_metrics

TRUTH = [
    [(0, 5, 'PER'), (10, 15, 'LOC')],
    [(0, 4, 'ORG')],
    [],
    [(2, 5, 'PER')],
]
GUESS = [
    [(0, 5, 'PER'), (10, 14, 'LOC')],  # right; partial overlap
    [(0, 4, 'LOC')],  # wrong type
    [],
    [],  # missed
]


def test_metrics_on_a_hand_computed_case():
    metrics = entity_metrics(TRUTH, GUESS)
    # 1 right of 3 predicted and 4 true entities.
    assert metrics['precision'] == pytest.approx(1 / 3)
    assert metrics['recall'] == pytest.approx(1 / 4)
    assert metrics['f1'] == pytest.approx(2 / 7)
    # PER: 2*1/(2+1); LOC: 0 of 1 true, 2 predicted; ORG: 0 of 1 true.
    assert metrics['per_type'] == pytest.approx({'LOC': 0.0, 'ORG': 0.0, 'PER': 2 / 3})
    assert list(metrics['per_type']) == ['LOC', 'ORG', 'PER']
    assert (metrics['num_eval'], metrics['num_entities']) == (4, 4)
    assert all(type(metrics[key]) is float for key in ('precision', 'recall', 'f1'))


def test_swapping_the_arguments_swaps_precision_and_recall():
    forward, backward = entity_metrics(TRUTH, GUESS), entity_metrics(GUESS, TRUTH)
    assert (backward['precision'], backward['recall']) == (forward['recall'], forward['precision'])
    assert backward['f1'] == forward['f1']
    assert backward['per_type'] == forward['per_type']
    assert backward['num_entities'] == 3


def test_scores_and_repeats_are_ignored():
    metrics = entity_metrics([[[0, 5, 'PER']]], [[(0, 5, 'PER', 0.9), (0, 5, 'PER', 0.8)]])
    assert (metrics['precision'], metrics['recall'], metrics['f1']) == (1.0, 1.0, 1.0)
    assert metrics['per_type'] == {'PER': 1.0}


@pytest.mark.parametrize(('truth', 'guess', 'expected'), [
    ([[], []], [[], []], 1.0),
    ([[(0, 1, 'X')]], [[]], 0.0),
    ([[]], [[(0, 1, 'X')]], 0.0),
])
def test_texts_without_entities(truth, guess, expected):
    metrics = entity_metrics(truth, guess)
    assert (metrics['precision'], metrics['recall'], metrics['f1']) == (expected,) * 3


def test_no_texts_measure_nothing():
    metrics = entity_metrics([], [])
    assert all(math.isnan(metrics[key]) for key in ('precision', 'recall', 'f1'))
    assert (metrics['per_type'], metrics['num_eval'], metrics['num_entities']) == ({}, 0, 0)


def test_one_span_collection_per_text():
    with pytest.raises(ValueError, match='pred_spans: expected 2 span collections, got 1'):
        entity_metrics([[], []], [[]])
