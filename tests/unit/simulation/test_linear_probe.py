import numpy as np
import pytest

from benchmarks.linear_probe import probe_curve
from simulation.replay import SimulationConfig, area


def test_area_is_the_trapezoid_per_label_of_the_range():
    curve = [{'labels': 25, 'accuracy': 0.5}, {'labels': 50, 'accuracy': 0.7}, {'labels': 100, 'accuracy': 0.9}]
    # (0.6 * 25 + 0.8 * 50) / 75
    assert area(curve, 'accuracy') == pytest.approx(55 / 75)


def test_probe_curve_labels_a_batch_more_each_round_and_scores_the_test_set():
    rng = np.random.default_rng(0)
    classes = np.repeat([0, 1, 2], 40)
    features = np.eye(3)[classes] * 5 + rng.normal(scale=0.1, size=(120, 3))
    config = SimulationConfig(initial=6, batch=6, budget=18, pool_size=90, test_size=30)

    curve = probe_curve(features, classes, config, seed=0, strength=10.0)

    assert [r['labels'] for r in curve] == [6, 12, 18]
    assert all(r['accuracy'] == 1.0 and r['macro_f1'] == 1.0 for r in curve[1:])
