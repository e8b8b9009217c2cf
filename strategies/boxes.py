"""Axis-aligned bounding boxes as ``x1, y1, x2, y2`` rows, normalised to ``[0, 1]`` of the image."""
import numpy as np


def iou(boxes_a, boxes_b):
    """Intersection over union of boxes that broadcast against each other.

    Pass ``boxes_a[:, None]`` and ``boxes_b[None]`` for the pairwise matrix,
    two arrays of the same shape for aligned pairs. Two boxes of zero area
    have an IoU of 0.

    Parameters
    ----------
    boxes_a, boxes_b : array-like of shape (..., 4)
        Corners ``x1, y1, x2, y2`` with ``x1 <= x2`` and ``y1 <= y2``.

    Returns
    -------
    iou : ndarray of the broadcast shape, without the last axis
        In ``[0, 1]``.
    """
    a = np.asarray(boxes_a, dtype=np.float64)
    b = np.asarray(boxes_b, dtype=np.float64)
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0.0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0.0, None)
    intersection = width * height
    union = _area(a) + _area(b) - intersection
    return np.where(union > 0, intersection / np.where(union > 0, union, 1.0), 0.0)


def flip_horizontally(boxes):
    """Boxes mirrored left to right: maps boxes found on a flipped image back to the original, and back."""
    b = np.asarray(boxes, dtype=np.float64)
    return np.stack([1.0 - b[..., 2], b[..., 1], 1.0 - b[..., 0], b[..., 3]], axis=-1)


def _area(b):
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
