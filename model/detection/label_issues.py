"""Which box annotations are probably wrong: cleanlab's object-detection label quality (ObjectLab)."""
from itertools import starmap
from unittest import mock

import numpy as np
from cleanlab.object_detection import filter as objectlab_filter
from cleanlab.object_detection.rank import get_label_quality_scores

SCALE = 100.0
"""Boxes are handed to cleanlab in percent of the image: its distance term (``exp(-0.1 * pixels)``) is made
for pixels, and percent reads as a 100-pixel image whatever the image's size."""


def box_label_issues(given, found, labels):
    """Quality of each image's boxes and whether cleanlab calls them wrong.

    Args:
        given: per image, the annotated boxes ``(x1, y1, x2, y2, label)`` in ``[0, 1]``.
        found: per image, the boxes ``(x1, y1, x2, y2, label, confidence)`` of a model that never trained on
            it, every one however unsure (a missed object and a swapped label are read from them).
        labels: the label values, in config order.

    Returns:
        ``(quality, issue)``: arrays ``(n,)``, quality in ``[0, 1]`` (lower = more likely wrong) and a
        boolean mask.
    """
    if not given:
        return np.zeros(0), np.zeros(0, dtype=bool)
    index = {label: i for i, label in enumerate(labels)}
    annotations = [{'bboxes': np.array([box[:4] for box in boxes], dtype=np.float64).reshape(-1, 4) * SCALE,
                    'labels': np.array([index[box[4]] for box in boxes], dtype=np.int64)} for boxes in given]
    predictions = [[np.array([[*(np.array(box[:4]) * SCALE), box[5]] for box in boxes if box[4] == label],
                             dtype=np.float32).reshape(-1, 5) for label in labels] for boxes in found]
    quality = get_label_quality_scores(annotations, predictions, verbose=False)
    with mock.patch.object(objectlab_filter, 'Pool', SerialPool):
        issue = objectlab_filter.find_label_issues(annotations, predictions)
    return np.asarray(quality, dtype=np.float64), np.asarray(issue, dtype=bool)


class SerialPool:
    """What ObjectLab's ``find_label_issues`` asks of the process pool it builds for its per-class AP (even
    for one process), done in this process: a fork from a process whose PyTorch threads run (a worker, a
    test) can hang, as cleanlab's classification pool did in CI, and a spawned interpreter costs seconds."""

    def __init__(self, processes=None):
        pass

    def starmap(self, function, arguments):
        return list(starmap(function, arguments))

    def close(self):
        pass
