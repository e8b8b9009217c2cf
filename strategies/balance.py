"""Class balance: on an imbalanced pool, uncertainty alone keeps labeling the common classes."""
import numpy as np

from strategies.validation import check_batch_size


def class_balanced(probabilities, labeled_counts, n, scores):
    """A batch with a quota per class that levels the labeled set, the classes it lacks first.

    Each of the ``n`` slots goes to the class with the fewest labels, counting the slots it already got
    (water-filling). A class fills its slots with the samples predicted as it, lowest ``scores`` (most
    uncertain) first; when those run out, with the samples most probably of it. A class the model never
    predicts, the rare one it has barely seen, is thus still searched for.

    Parameters
    ----------
    probabilities : array-like of shape (num_samples, num_classes)
        Softmax outputs (or per-class sigmoids).
    labeled_counts : array-like of shape (num_classes,)
        Labeled examples of each class so far.
    n : int
        Batch size.
    scores : array-like of shape (num_samples,)
        An uncertainty score per sample, lower = more informative (e.g. margin).

    Returns
    -------
    indices : ndarray of shape (n,)
        Pool indices in selection order: the classes take turns, the one with the fewest labels first.

    References
    ----------
    U. Aggarwal, A. Popescu and C. Hudelot. Active learning for imbalanced datasets. WACV 2020.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    counts = np.asarray(labeled_counts, dtype=np.float64)
    if p.ndim != 2 or counts.shape != (p.shape[1],):
        raise ValueError(f'labeled_counts: expected one count per class of probabilities {p.shape}, '
                         f'got shape {counts.shape}')
    check_batch_size(len(p), n)
    quotas = np.zeros(len(counts), dtype=np.int64)
    for _ in range(n):
        quotas[np.argmin(counts + quotas)] += 1
    predicted = p.argmax(axis=1)
    order = np.argsort(scores, kind='stable')
    taken = np.zeros(len(p), dtype=bool)
    turns = []
    for label in np.argsort(counts, kind='stable'):
        members = [int(i) for i in order[(predicted[order] == label) & ~taken[order]][:quotas[label]]]
        taken[members] = True
        if len(members) < quotas[label]:
            likely = [int(i) for i in np.argsort(-p[:, label], kind='stable') if not taken[i]]
            members += likely[:quotas[label] - len(members)]
            taken[members] = True
        turns.append(members)
    return np.array([members[k] for k in range(n) for members in turns if k < len(members)], dtype=np.int64)


def label_studio_order(scores, clusters, solved, n):
    """The ``n`` tasks Label Studio's uncertainty sampling serves one annotator next, in order.

    Label Studio 1.23.2 (``projects/functions/next_task.py``) serves first the task whose prediction
    ``cluster`` holds the fewest tasks this annotator has solved, and among those the lowest ``score``.
    Each served task is solved before the next is chosen, so its cluster counts from then on.

    Parameters
    ----------
    scores : array-like of shape (num_samples,)
        Prediction scores, lower = served first.
    clusters : sequence of length num_samples
        Each task's ``cluster`` (any hashable; None counts as a cluster of its own).
    solved : mapping
        Cluster -> tasks the annotator solved in it so far.
    n : int
        How many tasks are served.

    Returns
    -------
    indices : ndarray of shape (n,)
    """
    check_batch_size(len(scores), n)
    counts = dict(solved)
    remaining = [int(i) for i in np.argsort(scores, kind='stable')]
    served = []
    for _ in range(n):
        chosen = min(remaining, key=lambda i: counts.get(clusters[i], 0))
        remaining.remove(chosen)
        counts[clusters[chosen]] = counts.get(clusters[chosen], 0) + 1
        served.append(chosen)
    return np.array(served, dtype=np.int64)
