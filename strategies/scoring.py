"""Pick a strategy by name and score a batch of predictions with it."""
import numpy as np

from strategies.baseline import random_scores
from strategies.exceptions import UnknownStrategyError
from strategies.uncertainty import entropy, least_confidence, margin

UNCERTAINTY_STRATEGIES = {
    'margin': margin,
    'least_confidence': least_confidence,
    'entropy': entropy,
}
"""Strategies that score each sample from its own probabilities."""

STRATEGIES = (*UNCERTAINTY_STRATEGIES, 'random')
"""Every strategy name accepted by :func:`score`."""


def check_strategy(name):
    """Return ``name`` if it is a known strategy, else raise UnknownStrategyError."""
    if name not in STRATEGIES:
        raise UnknownStrategyError(f'strategy: unknown {name!r}; choose one of {", ".join(STRATEGIES)}')
    return name


def score(name, probabilities, rng, multi_label=False):
    """Scores in ``[0, 1]``, lower means label first.

    Parameters
    ----------
    name : str
        One of :data:`STRATEGIES`.
    probabilities : array-like of shape (num_samples, num_classes)
        Softmax outputs, or independent per-class sigmoid outputs when
        ``multi_label`` is set.
    rng : numpy.random.Generator
        Used by ``random`` only.
    multi_label : bool
        Score each class as its own yes/no decision; a sample scores as its
        most uncertain class.

    Returns
    -------
    scores : ndarray of shape (num_samples,)
    """
    check_strategy(name)
    p = np.asarray(probabilities, dtype=np.float64)
    if name == 'random':
        return random_scores(len(p), rng)
    strategy = UNCERTAINTY_STRATEGIES[name]
    if not multi_label:
        return strategy(p)
    yes_no = np.stack([p, 1.0 - p], axis=-1).reshape(-1, 2)
    return strategy(yes_no).reshape(p.shape).min(axis=1)
