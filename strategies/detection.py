"""Acquisition for object detection: per-box predictions aggregated into one score per image.

A pool of ``num_images`` images comes as three lists of per-image arrays:

``class_probabilities[i]`` of shape ``(num_boxes_i, num_classes)``
    Each candidate box's class distribution, a softmax over the configured
    labels (no background class); ``num_boxes_i`` may be 0.
``boxes[i]`` of shape ``(num_boxes_i, 4)``
    The boxes as ``x1, y1, x2, y2``, normalised to ``[0, 1]`` of the image.
``confidences[i]`` of shape ``(num_boxes_i,)``
    The detector's score of each box in ``[0, 1]`` (objectness, or its top
    class score before the labels were renormalised).

Pass every candidate box, before thresholding, or at least the top few of
an image that has none above the threshold. A candidate whose confidence
reaches ``threshold`` is a *detection*; only detections are scored, like
the boxes the annotator is shown. An image **without detections** scores as
if it had one detection of uncertainty ``best confidence / threshold``: an
image whose best candidate reaches 0.45 of a 0.5 threshold is nearly as
uncertain as a coin-flip box, one whose best is 0.02 is nearly certain, and
one without candidates counts as certain.

Every function returns scores of shape ``(num_images,)`` in ``[0, 1]`` where
**lower means label first**, like :mod:`strategies.uncertainty`. Images
without candidates and images whose detections are all certain score
exactly 1: their order among themselves is left to the caller (break the
tie with its ``rng``).

All boxes of the pool are concatenated and scored at once; per-image
aggregates are segment reductions.
"""
import numpy as np

from strategies.baseline import random_scores
from strategies.boxes import iou
from strategies.diversity import badge, coverage_batch, selection_scores
from strategies.exceptions import InvalidProbabilitiesError
from strategies.scoring import BATCH_STRATEGIES, UNCERTAINTY_STRATEGIES, check_strategy
from strategies.segments import longest_gradient_rows, reduce_segments, segment_starts
from strategies.uncertainty import _clip, _entropy
from strategies.validation import check_batch_size, check_probabilities

DETECTION_THRESHOLD = 0.5
"""Confidence from which a candidate box is a detection; pass the one the predictions are shown with."""

AGGREGATES = ('max', 'mean', 'sum')
"""How the uncertainties of an image's boxes make the image's uncertainty."""


def image_uncertainty(class_probabilities, confidences, measure='margin', aggregate='max',
                      threshold=DETECTION_THRESHOLD):
    """One minus the max, mean or sum over an image's detections of their class uncertainty.

    A detection's uncertainty is ``1 - s`` where ``s`` is the
    :mod:`strategies.uncertainty` score ``measure`` of its class
    distribution. ``max`` scores an image as its most uncertain detection,
    ``mean`` as its average one; ``sum`` adds them up, so images with many
    uncertain detections come first, and divides by the largest sum in the
    pool to stay in ``[0, 1]``: with ``sum`` the pool's most uncertain image
    scores 0 and a score depends on the rest of the pool.

    Parameters
    ----------
    class_probabilities : list of array-like, each of shape (num_boxes_i, num_classes)
    confidences : list of array-like, each of shape (num_boxes_i,)
    measure : {'least_confidence', 'margin', 'entropy'}
    aggregate : {'max', 'mean', 'sum'}
    threshold : float
        Confidence from which a candidate is a detection, in ``(0, 1]``.

    Returns
    -------
    scores : ndarray of shape (num_images,)

    References
    ----------
    C.-A. Brust, C. Käding and J. Denzler. Active learning for deep object
    detection. VISAPP 2019.
    """
    _check_option('measure', measure, tuple(UNCERTAINTY_STRATEGIES))
    _check_option('aggregate', aggregate, AGGREGATES)
    p, c, lengths = _candidates(class_probabilities, confidences, 'class_probabilities', 'confidences')
    detected, counts = _detections(c, lengths, threshold)
    uncertainty = 1.0 - UNCERTAINTY_STRATEGIES[measure](p[detected])
    total = reduce_segments(np.maximum if aggregate == 'max' else np.add, uncertainty, counts, empty=0.0)
    if aggregate == 'mean':
        total /= np.maximum(counts, 1)
    total = np.where(counts > 0, total, reduce_segments(np.maximum, c, lengths, empty=0.0) / threshold)
    if aggregate == 'sum' and total.max(initial=0.0) > 0:
        total /= total.max()
    return _clip(1.0 - total)


def consistency(class_probabilities, boxes, confidences, flipped_class_probabilities, flipped_boxes,
                flipped_confidences, threshold=DETECTION_THRESHOLD):
    """One minus the mean disagreement between the detections on an image and on its mirror image.

    The detections of the two views are matched greedily, highest IoU
    first, each box at most once and only where the boxes overlap. A matched
    pair agrees by ``IoU * (1 - JS)``, with ``JS`` the Jensen-Shannon
    divergence of the two class distributions divided by its maximum
    ``log 2``: a pair agrees only if it has both the same place and the same
    class. A pair disagrees by one minus its agreement, a box left unmatched
    in either view by 1, and an image scores one minus the mean disagreement
    over its pairs and unmatched boxes. An image without detections in either
    view falls back on its best candidate of both views, as in
    :func:`image_uncertainty`.

    Parameters
    ----------
    class_probabilities, boxes, confidences : lists of per-image arrays
        Predictions on the images, as described in :mod:`strategies.detection`.
    flipped_class_probabilities, flipped_boxes, flipped_confidences : lists of per-image arrays
        Predictions on the horizontally flipped images, their boxes mapped
        back to the original coordinates (:func:`strategies.boxes.flip_horizontally`).
    threshold : float
        Confidence from which a candidate is a detection, in ``(0, 1]``.

    Returns
    -------
    scores : ndarray of shape (num_images,)

    References
    ----------
    W. Yu, S. Zhu, T. Yang and C. Chen. Consistency-based active learning
    for object detection. CVPR Workshops 2022 (here without its second,
    class-diversity stage).
    """
    p, c, lengths = _candidates(class_probabilities, confidences, 'class_probabilities', 'confidences')
    q, fc, flengths = _candidates(flipped_class_probabilities, flipped_confidences,
                                  'flipped_class_probabilities', 'flipped_confidences')
    if len(flengths) != len(lengths) or q.shape[1] != p.shape[1]:
        raise InvalidProbabilitiesError(
            f'flipped_class_probabilities: expected {len(lengths)} images of {p.shape[1]} classes '
            f'like class_probabilities, got {len(flengths)} of {q.shape[1]}')
    box = _boxes(boxes, lengths, 'boxes')
    fbox = _boxes(flipped_boxes, flengths, 'flipped_boxes')
    detected, n = _detections(c, lengths, threshold)
    fdetected, m = _detections(fc, flengths, threshold)
    p, box, q, fbox = p[detected], box[detected], q[fdetected], fbox[fdetected]
    a, b = _pairs(n, m)
    overlap = iou(box[a], fbox[b])
    matched = _greedy_match(a, b, overlap)
    a, b = a[matched], b[matched]
    agreement = overlap[matched] * (1.0 - _jensen_shannon(p[a], q[b]))
    image = np.repeat(np.arange(len(n)), n)[a]
    # One unit per matched pair and per unmatched box of either view; a pair disagrees by 1 - agreement, a box by 1.
    units = n + m - np.bincount(image, minlength=len(n))
    disagreement = units - np.bincount(image, weights=agreement, minlength=len(n))
    best = np.maximum(reduce_segments(np.maximum, c, lengths, empty=0.0),
                      reduce_segments(np.maximum, fc, flengths, empty=0.0))
    return _clip(1.0 - np.where(units > 0, disagreement / np.maximum(units, 1), best / threshold))


DETECTION_UNCERTAINTY_STRATEGIES = {
    'least_confidence': ('least_confidence', 'max'),
    'margin': ('margin', 'max'),
    'entropy': ('entropy', 'max'),
    'least_confidence_mean': ('least_confidence', 'mean'),
    'margin_mean': ('margin', 'mean'),
    'entropy_mean': ('entropy', 'mean'),
    'least_confidence_sum': ('least_confidence', 'sum'),
    'margin_sum': ('margin', 'sum'),
    'entropy_sum': ('entropy', 'sum'),
}
"""Name -> ``(measure, aggregate)`` of :func:`image_uncertainty`; a name without suffix takes the max."""

POOL_RELATIVE_STRATEGIES = tuple(name for name, (_, aggregate) in DETECTION_UNCERTAINTY_STRATEGIES.items()
                                 if aggregate == 'sum')
"""Strategies whose scores are relative to the images scored with them (a sum divided by the largest):
a pool is scored at once, so that every score is on one scale."""

DETECTION_STRATEGIES = (*DETECTION_UNCERTAINTY_STRATEGIES, 'consistency', *BATCH_STRATEGIES, 'random')
"""Every strategy name accepted by :func:`score_detections`."""

FLIP_STRATEGIES = ('consistency',)
"""Strategies that also need the predictions on the horizontally flipped images."""


def score_detections(name, class_probabilities, boxes, confidences, rng, *, flipped_class_probabilities=None,
                     flipped_boxes=None, flipped_confidences=None, embeddings=None, labeled_embeddings=None,
                     batch_size=None, threshold=DETECTION_THRESHOLD):
    """Scores in ``[0, 1]`` for a pool of images, lower means label first.

    The detection counterpart of :func:`strategies.scoring.score`.

    Parameters
    ----------
    name : str
        One of :data:`DETECTION_STRATEGIES`. ``least_confidence``,
        ``margin`` and ``entropy`` score an image by its most uncertain
        detection, their ``_mean`` and ``_sum`` variants by the mean or the
        pool-normalised sum (:func:`image_uncertainty`); ``consistency``
        compares the predictions on the flipped image (:func:`consistency`);
        ``badge``, ``coreset`` or ``random``.
    class_probabilities, boxes, confidences : lists of per-image arrays
        As described in :mod:`strategies.detection`; ``boxes`` is read by
        ``consistency`` only.
    rng : numpy.random.Generator
        Used by ``random``, ``badge`` and ``coreset``.
    flipped_class_probabilities, flipped_boxes, flipped_confidences : lists of per-image arrays
        Predictions on the horizontally flipped images, for ``consistency``.
    embeddings : array-like of shape (num_images, dim)
        Pooled image embeddings, for ``badge`` and ``coreset``.
    labeled_embeddings : array-like of shape (num_labeled, dim)
        The labeled set, for ``coreset`` (may be omitted).
    batch_size : int
        Size of the diverse batch for ``badge`` and ``coreset``: it gets the
        lowest scores, in selection order; the rest follow by ``margin``.
    threshold : float
        Confidence from which a candidate is a detection, in ``(0, 1]``.

    Returns
    -------
    scores : ndarray of shape (num_images,)

    Notes
    -----
    ``badge`` takes an image's gradient from its detection with the longest
    gradient ``p - onehot(argmax p)``, times the pooled embedding, as
    :func:`strategies.sequence.score_sequences` does for a text's tokens. An
    image without detections has no gradient.
    """
    check_strategy(name, DETECTION_STRATEGIES)
    num_images = len(class_probabilities)
    if name == 'random':
        return random_scores(num_images, rng)
    if name == 'consistency':
        if flipped_class_probabilities is None or flipped_boxes is None or flipped_confidences is None:
            raise ValueError(f'flipped_class_probabilities, flipped_boxes, flipped_confidences: required by {name!r}')
        return consistency(class_probabilities, boxes, confidences, flipped_class_probabilities, flipped_boxes,
                           flipped_confidences, threshold)
    if name in BATCH_STRATEGIES:
        if embeddings is None or not batch_size:
            raise ValueError(f'embeddings, batch_size: required by {name!r}')
        if len(embeddings) != num_images:
            raise ValueError(f'embeddings: expected {num_images} rows, one per image, got {len(embeddings)}')
        n = min(int(batch_size), num_images)
        check_batch_size(num_images, n)
        if name == 'badge':
            p, c, lengths = _candidates(class_probabilities, confidences, 'class_probabilities', 'confidences')
            detected, counts = _detections(c, lengths, threshold)
            selected = badge(longest_gradient_rows(p[detected], counts), embeddings, n, rng)
        else:
            selected = coverage_batch(name, embeddings, labeled_embeddings, n, rng)
        return selection_scores(selected, image_uncertainty(class_probabilities, confidences, threshold=threshold))
    measure, aggregate = DETECTION_UNCERTAINTY_STRATEGIES[name]
    return image_uncertainty(class_probabilities, confidences, measure, aggregate, threshold)


def _candidates(class_probabilities, confidences, name, confidences_name):
    """Every candidate of the pool: probabilities ``(num_boxes, num_classes)``, confidences, boxes per image.

    With one class, a box is sure of its class and its doubt is whether it is an object at all: its
    probabilities are ``(confidence, 1 - confidence)``.
    """
    arrays = [np.asarray(p, dtype=np.float64) for p in class_probabilities]
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[1] < 1 or a.shape[1] != arrays[0].shape[1]:
            raise InvalidProbabilitiesError(f'{name}[{i}]: expected shape (num_boxes, num_classes) '
                                            f'agreeing with {name}[0] {arrays[0].shape}, got {a.shape}')
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    c = _per_box(confidences, lengths, confidences_name, ())
    if np.any((c < 0) | (c > 1)):
        raise InvalidProbabilitiesError(f'{confidences_name}: every confidence must lie in [0, 1]')
    p = np.concatenate(arrays) if arrays else np.zeros((0, 2))
    if p.shape[1] == 1 and np.allclose(p, 1.0):
        p = np.stack([c, 1.0 - c], axis=1)
    return check_probabilities(p), c, lengths


def _boxes(boxes, lengths, name):
    box = _per_box(boxes, lengths, name, (4,))
    if np.any(box[:, 2] < box[:, 0]) or np.any(box[:, 3] < box[:, 1]):
        raise ValueError(f'{name}: expected corners x1, y1, x2, y2 with x1 <= x2 and y1 <= y2')
    return box


def _per_box(arrays, lengths, name, shape):
    """Concatenate per-image arrays of shape ``(num_boxes_i, *shape)``, checking each image's box count."""
    if len(arrays) != len(lengths):
        raise ValueError(f'{name}: expected {len(lengths)} images like the class probabilities, got {len(arrays)}')
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    for i, (a, length) in enumerate(zip(arrays, lengths)):
        if a.shape != (length, *shape):
            raise ValueError(f'{name}[{i}]: expected shape {(int(length), *shape)}, got {a.shape}')
    return np.concatenate(arrays) if arrays else np.zeros((0, *shape))


def _detections(c, lengths, threshold):
    """Mask of the candidates that are detections, and the number of detections of each image."""
    if not 0 < threshold <= 1:
        raise ValueError(f'threshold: expected 0 < threshold <= 1, got {threshold}')
    detected = c >= threshold
    image = np.repeat(np.arange(len(lengths)), lengths)
    return detected, np.bincount(image[detected], minlength=len(lengths))


def _pairs(n, m):
    """Every pair of a detection and a flipped detection of the same image, as two index arrays.

    ``n`` and ``m`` count each image's detections in the two views; detection
    ``a`` is the ``a``-th of all images' detections, in image order.
    """
    counts = n * m
    image = np.repeat(np.arange(len(n)), counts)
    k = np.arange(counts.sum()) - np.repeat(segment_starts(counts), counts)
    return segment_starts(n)[image] + k // m[image], segment_starts(m)[image] + k % m[image]


def _greedy_match(a, b, overlap):
    """Mask of the pairs ``(a, b)`` kept by greedy matching: highest overlap first, each box once, overlap > 0.

    Greedy keeps a pair exactly when, among the pairs of still unmatched
    boxes, it is the best of both its boxes (ties go to the earlier pair).
    So each round keeps all such mutual-best pairs at once, and there are
    as many rounds as boxes in the largest image at most, not one per pair.
    """
    rank = np.empty(len(overlap), dtype=np.int64)
    rank[np.argsort(-overlap, kind='stable')] = np.arange(len(overlap))
    matched = np.zeros(len(overlap), dtype=bool)
    remaining = overlap > 0
    while remaining.any():
        best_a = np.full(a.max() + 1, len(rank))
        best_b = np.full(b.max() + 1, len(rank))
        np.minimum.at(best_a, a[remaining], rank[remaining])
        np.minimum.at(best_b, b[remaining], rank[remaining])
        mutual = remaining & (best_a[a] == rank) & (best_b[b] == rank)
        matched |= mutual
        remaining &= ~np.isin(a, a[mutual]) & ~np.isin(b, b[mutual])
    return matched


def _jensen_shannon(p, q):
    """Jensen-Shannon divergence between the rows of ``p`` and ``q``, divided by ``log 2``: in ``[0, 1]``."""
    return _clip((_entropy((p + q) / 2.0) - (_entropy(p) + _entropy(q)) / 2.0) / np.log(2.0))


def _check_option(argument, value, known):
    if value not in known:
        raise ValueError(f'{argument}: unknown {value!r}; choose one of {", ".join(known)}')
