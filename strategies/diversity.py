"""Diverse batches: annotators label many tasks between two trainings, and the top-k
most uncertain tasks are often near-duplicates."""
import numpy as np

from strategies.cold_start import typiclust
from strategies.geometry import normalise, squared_distances
from strategies.validation import check_batch_size, check_probabilities


def greedy_coreset(embeddings, labeled_embeddings, n, rng):
    """Greedy k-center: repeatedly pick the sample farthest from everything chosen or labeled.

    Parameters
    ----------
    embeddings : array-like of shape (num_samples, dim)
        The unlabeled pool; rows are L2-normalised here.
    labeled_embeddings : array-like of shape (num_labeled, dim)
        Already labeled samples (may be empty): the batch covers what they do not.
    n : int
        Batch size.
    rng : numpy.random.Generator
        Picks the first sample when nothing is labeled.

    Returns
    -------
    indices : ndarray of shape (n,)
        Pool indices in selection order.

    References
    ----------
    O. Sener and S. Savarese. Active learning for convolutional neural
    networks: a core-set approach. ICLR 2018.
    """
    x = normalise(embeddings)
    check_batch_size(len(x), n)
    labeled = normalise(labeled_embeddings) if len(labeled_embeddings) else np.zeros((0, x.shape[1]))
    if len(labeled):
        nearest = np.full(len(x), np.inf)
        for start in range(0, len(labeled), 1024):
            nearest = np.minimum(nearest, squared_distances(x, labeled[start:start + 1024]).min(axis=1))
        first = int(nearest.argmax())
    else:
        first = int(rng.integers(len(x)))
        nearest = np.full(len(x), np.inf)
    selected = [first]
    nearest = np.minimum(nearest, squared_distances(x, x[first:first + 1])[:, 0])
    while len(selected) < n:
        nearest[selected] = -1.0
        chosen = int(nearest.argmax())
        selected.append(chosen)
        nearest = np.minimum(nearest, squared_distances(x, x[chosen:chosen + 1])[:, 0])
    return np.array(selected, dtype=np.int64)


def coverage_batch(name, embeddings, labeled_embeddings, n, rng):
    """The batch of ``coreset`` (:func:`greedy_coreset`) or ``typiclust`` (:func:`~strategies.typiclust`),
    which cover the pool around the labeled set (``labeled_embeddings`` None: nothing labeled)."""
    embeddings = np.asarray(embeddings, dtype=np.float64)
    labeled = labeled_embeddings if labeled_embeddings is not None else np.zeros((0, embeddings.shape[1]))
    return (typiclust if name == 'typiclust' else greedy_coreset)(embeddings, labeled, n, rng)


def badge(probabilities, embeddings, n, rng, multi_label=False):
    """k-means++ seeding on gradient embeddings: uncertain *and* diverse.

    The gradient of the loss (with the predicted label as target) with respect
    to the last layer is ``(p - onehot(argmax p)) ⊗ x``: long for uncertain
    samples, pointing apart for different ones. Distances between such outer
    products factorise, so the ``num_classes * dim`` vectors are never built.

    Parameters
    ----------
    probabilities : array-like of shape (num_samples, num_classes)
    embeddings : array-like of shape (num_samples, dim)
        Inputs of the last layer.
    n : int
        Batch size.
    rng : numpy.random.Generator
        Draws the seeds after the first (proportionally to squared distance).
    multi_label : bool
        ``probabilities`` are independent per-class sigmoids.

    Returns
    -------
    indices : ndarray of shape (n,)
        Pool indices in selection order.

    References
    ----------
    J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford and A. Agarwal. Deep
    batch active learning by diverse, uncertain gradient lower bounds. ICLR 2020.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if not multi_label:
        p = check_probabilities(p)
        target = np.zeros_like(p)
        target[np.arange(len(p)), p.argmax(axis=1)] = 1.0
    else:
        target = (p >= 0.5).astype(np.float64)
    a = p - target
    x = np.asarray(embeddings, dtype=np.float64)
    check_batch_size(len(x), n)
    norms = (a * a).sum(axis=1) * (x * x).sum(axis=1)

    def squared_distance_to(j):
        return np.maximum(norms + norms[j] - 2.0 * (a @ a[j]) * (x @ x[j]), 0.0)

    selected = [int(norms.argmax())]
    nearest = squared_distance_to(selected[0])
    while len(selected) < n:
        nearest[selected] = 0.0
        total = nearest.sum()
        if total <= 0:  # every remaining gradient coincides with a chosen one
            remaining = np.setdiff1d(np.arange(len(x)), selected)
            chosen = int(rng.choice(remaining))
        else:
            chosen = int(rng.choice(len(x), p=nearest / total))
        selected.append(chosen)
        nearest = np.minimum(nearest, squared_distance_to(chosen))
    return np.array(selected, dtype=np.int64)


def selection_scores(selected, scores):
    """Scores whose ascending order is ``selected`` (in its order), then the rest by ``scores``.

    Label Studio orders tasks by one number. The selected batch gets
    ``[0, 0.5)`` in selection order; every other sample keeps its own order,
    squeezed into ``[0.5, 1]``.

    Parameters
    ----------
    selected : array-like of int, shape (batch,)
    scores : array-like of shape (num_samples,)
        Per-sample scores in ``[0, 1]`` for the samples not selected.
    """
    out = 0.5 + 0.5 * np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    selected = np.asarray(selected, dtype=np.int64)
    out[selected] = 0.5 * np.arange(len(selected)) / max(len(selected), 1)
    return out

