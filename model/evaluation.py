"""The held-out split every task type evaluates on, and classification metrics."""
import hashlib

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def in_holdout(key, fraction):
    """Whether the sample named ``key`` belongs to the held-out set.

    The split hashes the key, so a task stays on the same side in every
    version: metrics of consecutive versions are measured on the same texts and
    a held-out task is never trained on.
    """
    digest = hashlib.sha256(str(key).encode()).digest()
    return int.from_bytes(digest[:8], 'big') / 2 ** 64 < fraction


def classification_metrics(y_true, y_pred, labels=None):
    """Accuracy and macro-F1 of 0/1 indicator matrices of shape ``(n, num_labels)``.

    Accuracy counts a sample as right only when its whole label set is right
    (for single-label data: the usual accuracy). Macro-F1 averages the F1 of
    the labels that occur in ``y_true`` or ``y_pred``. With the ``labels``' names,
    also ``f1_per_label`` (those labels) and ``recall_per_label`` (labels in ``y_true``).
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_pred = np.asarray(y_pred, dtype=bool)
    if y_true.shape != y_pred.shape:
        raise ValueError(f'y_pred: expected shape {y_true.shape}, got {y_pred.shape}')
    if not len(y_true):
        return {'accuracy': float('nan'), 'macro_f1': float('nan'), 'num_eval': 0}
    _, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    seen = support + y_pred.sum(axis=0) > 0
    metrics = {
        'accuracy': float(accuracy_score(y_true, y_pred)),
        'macro_f1': float(f1[seen].mean()) if seen.any() else float('nan'),
        'num_eval': int(len(y_true)),
    }
    if labels is not None:
        metrics['f1_per_label'] = {label: round(float(f1[i]), 4) for i, label in enumerate(labels) if seen[i]}
        metrics['recall_per_label'] = {label: round(float(recall[i]), 4) for i, label in enumerate(labels)
                                       if support[i]}
    return metrics


def indicators(targets, labels):
    """0/1 matrix of shape ``(len(targets), len(labels))`` from lists of label names."""
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(targets), len(labels)), dtype=bool)
    for row, target in enumerate(targets):
        out[row, [index[name] for name in target if name in index]] = True
    return out
