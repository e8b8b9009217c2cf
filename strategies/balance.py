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
    picks = {}
    for label in np.argsort(counts, kind='stable'):
        members = [int(i) for i in order[(predicted[order] == label) & ~taken[order]][:quotas[label]]]
        if len(members) < quotas[label]:
            likely = [int(i) for i in np.argsort(-p[:, label], kind='stable') if not taken[i] and i not in members]
            members += likely[:quotas[label] - len(members)]
        taken[members] = True
        picks[label] = members
    turns = [picks[label] for label in np.argsort(counts, kind='stable')]
    return np.array([members[k] for k in range(n) for members in turns if k < len(members)], dtype=np.int64)
