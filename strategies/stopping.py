"""When more labels stop paying: stabilizing predictions between model versions."""
import numpy as np

STOP_KAPPA = 0.99
"""Agreement between consecutive versions above which predictions have stabilized."""

STOP_WINDOW = 3
"""Consecutive versions that must agree above the threshold."""


def cohen_kappa(a, b):
    """Cohen's kappa between two labelings of the same samples.

    Parameters
    ----------
    a, b : array-like of int, shape (num_samples,)
        Predicted class indices of two model versions.

    Returns
    -------
    float
        1 for identical labelings, 0 for agreement at chance level; 1 when both
        put every sample in the same single class.

    References
    ----------
    J. Cohen. A coefficient of agreement for nominal scales. 1960.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError(f'b: expected the shape of a, {a.shape}, non-empty; got {b.shape}')
    observed = float((a == b).mean())
    classes = np.union1d(a, b)
    expected = float(sum((a == c).mean() * (b == c).mean() for c in classes))
    if expected >= 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def agreement_threshold(value):
    """``value`` as an agreement above which predictions count as stable: a number in (0, 1].

    Raises:
        ValueError: ``value`` is not such a number.
    """
    number = float(value)
    if not 0.0 < number <= 1.0:
        raise ValueError(f'expected a number in (0, 1], got {value!r}')
    return number


def stabilized(kappas, threshold=STOP_KAPPA, window=STOP_WINDOW):
    """Whether the last ``window`` agreements all reached ``threshold``.

    References
    ----------
    M. Bloodgood and K. Vijay-Shanker. A method for stopping active learning
    based on stabilizing predictions and the need for user-adjustable stopping.
    CoNLL 2009.
    """
    recent = [k for k in kappas if k is not None][-window:]
    return len(recent) == window and min(recent) >= threshold
