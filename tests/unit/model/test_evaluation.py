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
