"""Which strategies may score a pool a page at a time: those whose score of a task depends on it alone."""
import numpy as np
import pytest

from model.acquisition import Acquisition
from strategies.detection import image_uncertainty

IMAGE = [np.array([[0.6, 0.4]])], [np.ones(1)]
CROWDED = [np.array([[0.6, 0.4]] * 3)], [np.ones(3)]
"""An image with one uncertain detection, and one with three."""


def test_a_sum_score_depends_on_the_images_scored_with_it_so_a_pool_is_scored_at_once():
    alone = image_uncertainty(IMAGE[0], IMAGE[1], 'margin', 'sum')[0]
    beside = image_uncertainty(IMAGE[0] + CROWDED[0], IMAGE[1] + CROWDED[1], 'margin', 'sum')[0]
    assert alone == pytest.approx(0.0) and beside == pytest.approx(1 - 0.8 / 2.4)
    for name in ('least_confidence_sum', 'margin_sum', 'entropy_sum'):
        assert not Acquisition(name).per_task, name


def test_a_max_score_is_the_same_in_any_company_so_a_pool_is_scored_page_by_page():
    alone = image_uncertainty(IMAGE[0], IMAGE[1], 'margin', 'max')[0]
    beside = image_uncertainty(IMAGE[0] + CROWDED[0], IMAGE[1] + CROWDED[1], 'margin', 'max')[0]
    assert alone == pytest.approx(beside) == pytest.approx(0.2)
    for name in ('least_confidence', 'margin', 'entropy', 'least_confidence_mean', 'consistency', 'random'):
        assert Acquisition(name).per_task, name
