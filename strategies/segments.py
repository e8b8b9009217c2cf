"""Segments of a concatenated pool: the rows of every text (tokens) or image (boxes) stacked in one array,
with the length of each segment. Per-segment aggregates are ``ufunc.reduceat`` over it."""
import numpy as np


def segment_starts(lengths):
    """Index of each segment's first row in the concatenation, shape ``(num_segments,)``."""
    return np.cumsum(lengths) - lengths


def reduce_segments(ufunc, values, lengths, empty):
    """``ufunc`` over each segment's ``values``, shape ``(num_segments,)``; ``empty`` for segments without rows."""
    out = np.full(len(lengths), empty, dtype=np.float64)
    filled = lengths > 0
    if filled.any():
        # Only the non-empty starts: reduceat gives an empty segment the next row, not the identity.
        out[filled] = ufunc.reduceat(values, segment_starts(lengths)[filled])
    return out


def longest_gradient_rows(probabilities, lengths):
    """Per segment, the row of ``probabilities`` ``(num_rows, num_classes)`` whose BADGE gradient
    ``p - onehot(argmax p)`` is longest; a segment without rows gets a one-hot row (no gradient).

    Returns
    -------
    probabilities : ndarray of shape (num_segments, num_classes)
    """
    residual = probabilities.copy()
    residual[np.arange(len(probabilities)), probabilities.argmax(axis=1)] -= 1.0
    gradient = (residual * residual).sum(axis=1)
    segment = np.repeat(np.arange(len(lengths)), lengths)
    # Sorted by segment, then by gradient descending: each segment's first row is its longest gradient.
    order = np.lexsort((-gradient, segment))
    filled = lengths > 0
    out = np.zeros((len(lengths), probabilities.shape[1]))
    out[:, 0] = 1.0
    out[filled] = probabilities[order[segment_starts(lengths)[filled]]]
    return out
