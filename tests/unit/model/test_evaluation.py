import numpy as np

from model import classification_metrics, in_holdout, indicators


def test_metrics_on_a_hand_computed_case():
    labels = ['a', 'b', 'c']
    truth = indicators([['a'], ['a'], ['b'], ['c']], labels)
    guess = indicators([['a'], ['b'], ['b'], ['b']], labels)
    metrics = classification_metrics(truth, guess)
    assert metrics['accuracy'] == 0.5
    # F1: a = 2*1/(2+1) = 2/3, b = 2*1/(1+3) = 1/2, c = 0
    np.testing.assert_allclose(metrics['macro_f1'], (2 / 3 + 1 / 2 + 0) / 3)
    assert metrics['num_eval'] == 4


def test_multi_label_accuracy_needs_the_whole_set():
    labels = ['x', 'y']
    truth = indicators([['x', 'y'], ['y']], labels)
    guess = indicators([['x'], ['y']], labels)
    assert classification_metrics(truth, guess)['accuracy'] == 0.5


def test_holdout_is_stable_and_near_the_fraction():
    held = [in_holdout(task, 0.2) for task in range(5000)]
    assert held == [in_holdout(task, 0.2) for task in range(5000)]
    assert 0.17 < np.mean(held) < 0.23
    assert not any(in_holdout(task, 0.0) for task in range(100))


def test_per_label_f1_and_recall_name_the_labels_measured():
    labels = ['a', 'b', 'c', 'd']
    truth = indicators([['a'], ['a'], ['b'], ['c']], labels)
    guess = indicators([['a'], ['b'], ['b'], ['b']], labels)
    metrics = classification_metrics(truth, guess, labels)
    # d is neither true nor predicted: no F1, no recall; c is never predicted: F1 0, recall 0.
    assert metrics['f1_per_label'] == {'a': round(2 / 3, 4), 'b': 0.5, 'c': 0.0}
    assert metrics['recall_per_label'] == {'a': 0.5, 'b': 1.0, 'c': 0.0}
    np.testing.assert_allclose(metrics['macro_f1'], (2 / 3 + 1 / 2 + 0) / 3)


def test_no_samples_measure_nothing():
    empty = np.zeros((0, 2), dtype=bool)
    metrics = classification_metrics(empty, empty, ['a', 'b'])
    assert metrics['num_eval'] == 0 and np.isnan(metrics['accuracy'])
