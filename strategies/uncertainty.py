"""Uncertainty scores over class probabilities.

Every function maps probabilities of shape ``(num_samples, num_classes)`` to
scores of shape ``(num_samples,)`` in ``[0, 1]`` where **lower means label
first**: 0 is a sample the model cannot decide, 1 a sample it is sure of.
Label Studio's "Uncertainty sampling" serves the lowest score first, so these
scores can be sent as prediction scores unchanged.
"""
import numpy as np

from strategies.validation import check_probabilities


def least_confidence(probabilities):
    """Confidence of the top class, rescaled from ``[1/k, 1]`` to ``[0, 1]``.

    References
    ----------
    D. D. Lewis and W. A. Gale. A sequential algorithm for training text
    classifiers. SIGIR 1994.
    """
    p = check_probabilities(probabilities)
    num_classes = p.shape[1]
    top = p.max(axis=1)
    return _clip((top - 1.0 / num_classes) / (1.0 - 1.0 / num_classes))


def margin(probabilities):
    """Difference between the two most probable classes ("breaking ties").

    References
    ----------
    T. Scheffer, C. Decomain and S. Wrobel. Active hidden Markov models for
    information extraction. IDA 2001.
    """
    p = check_probabilities(probabilities)
    top_two = np.partition(p, -2, axis=1)[:, -2:]
    return _clip(top_two[:, 1] - top_two[:, 0])


def entropy(probabilities):
    """One minus the prediction entropy, normalised by ``log(num_classes)``.

    References
    ----------
    C. E. Shannon. A mathematical theory of communication. 1948.
    """
    p = check_probabilities(probabilities)
    return _clip(1.0 - _entropy(p) / np.log(p.shape[1]))


def _entropy(p, eps=1e-12):
    """Entropy in nats along the last axis."""
    return -(p * np.log(np.clip(p, eps, 1.0))).sum(axis=-1)


def _clip(scores):
    return np.clip(scores, 0.0, 1.0)
