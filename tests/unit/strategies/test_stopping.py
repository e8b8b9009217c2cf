import pytest

from strategies import cohen_kappa, stabilized


def test_kappa_hand_computed():
    # observed 0.75, expected 0.5 * 0.25 + 0.5 * 0.75 = 0.5
    assert cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)
    assert cohen_kappa([0, 1, 2], [0, 1, 2]) == 1.0
    assert cohen_kappa([3, 3], [3, 3]) == 1.0


def test_kappa_needs_matching_non_empty_labelings():
    with pytest.raises(ValueError):
        cohen_kappa([0, 1], [0])


def test_stabilized_needs_a_full_window_above_threshold():
    assert not stabilized([0.995, 0.999], threshold=0.99, window=3)
    assert stabilized([0.5, 0.995, 0.999, 0.992], threshold=0.99, window=3)
    assert not stabilized([0.995, 0.98, 0.999, 0.992], threshold=0.99, window=4)
