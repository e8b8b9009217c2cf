"""Pick a strategy by name and score a pool with it."""
import numpy as np

from strategies.balance import class_balanced
from strategies.baseline import random_scores
from strategies.bayesian import bald
from strategies.diversity import badge, coverage_batch, selection_scores
from strategies.exceptions import UnknownStrategyError
from strategies.uncertainty import entropy, least_confidence, margin

UNCERTAINTY_STRATEGIES = {
    'margin': margin,
    'least_confidence': least_confidence,
    'entropy': entropy,
}
"""Strategies that score each sample from its own probabilities."""

COVERAGE_STRATEGIES = ('coreset', 'typiclust')
"""Batch strategies that cover the pool around the labeled set's embeddings."""

BATCH_STRATEGIES = ('badge', *COVERAGE_STRATEGIES)
"""Strategies that pick a diverse batch from the whole pool (need embeddings and a batch size)."""

MC_STRATEGIES = ('bald',)
"""Strategies that need several stochastic forward passes."""

CLASS_STRATEGIES = ('balanced',)
"""Strategies that need the labeled set's count per class and a batch size (pick from the whole pool)."""

STRATEGIES = (*UNCERTAINTY_STRATEGIES, *MC_STRATEGIES, *BATCH_STRATEGIES, *CLASS_STRATEGIES, 'random')
"""Every strategy name accepted by :func:`score`."""

DEFAULT_STRATEGY = 'margin'
"""The strategy the backend scores with unless configured otherwise or a task type names another: text
classification's. Budget 200, 3 seeds, in Label Studio's cluster order as served: +2.1 accuracy-AULC points
over random on balanced BBC News (``bald`` +1.8), +1.2 with sports cut to 3 % (``bald`` -0.2), +0.4 on Rotten
Tomatoes (``bald`` +1.4): above random on every pool on the mean, and no dropout passes (benchmarks/README.md,
"Rare classes and the first rounds")."""


def check_strategy(name, known=STRATEGIES):
    """Return ``name`` if it is one of ``known`` or a schedule ``FIRST@N/THEN`` of two of them (see
    :func:`strategy_at`), else raise UnknownStrategyError listing them."""
    first, until, then = _schedule(name)
    unknown = [part for part in (first, then) if part is not None and part not in known]
    if unknown or until is not None and until < 1:
        raise UnknownStrategyError(f'strategy: unknown {name!r}; choose one of {", ".join(known)}, or FIRST@N/THEN '
                                   'of two of them (FIRST until N labels, e.g. typiclust@100/margin)')
    return name


def strategy_at(name, num_labeled):
    """The strategy that scores once ``num_labeled`` tasks are labeled: ``name``, or for a schedule
    ``FIRST@N/THEN`` FIRST below N labels and THEN from N on (a budget-aware switch)."""
    first, until, then = _schedule(name)
    return first if then is None or num_labeled < until else then


def _schedule(name):
    """``(first, until, then)`` of a schedule name; ``(name, None, None)`` of a plain one."""
    first, at, rest = str(name).partition('@')
    until, slash, then = rest.partition('/')
    if not at:
        return name, None, None
    if not (slash and until.isascii() and until.isdigit() and len(until) <= 9):
        return name, 0, None
    return first, int(until), then


def score(name, probabilities, rng, multi_label=False, mc_probabilities=None, embeddings=None,
          labeled_embeddings=None, batch_size=None, labeled_counts=None):
    """Scores in ``[0, 1]``, lower means label first.

    Parameters
    ----------
    name : str
        One of :data:`STRATEGIES`.
    probabilities : array-like of shape (num_samples, num_classes)
        Softmax outputs, or independent per-class sigmoid outputs when
        ``multi_label`` is set.
    rng : numpy.random.Generator
        Used by ``random``, ``badge`` and ``coreset``.
    multi_label : bool
        Score each class as its own yes/no decision; a sample scores as its
        most uncertain class.
    mc_probabilities : array-like of shape (num_passes, num_samples, num_classes)
        Stochastic passes, for ``bald``.
    embeddings : array-like of shape (num_samples, dim)
        Last-layer inputs of the pool, for the :data:`BATCH_STRATEGIES`.
    labeled_embeddings : array-like of shape (num_labeled, dim)
        The labeled set, for ``coreset`` and ``typiclust`` (may be omitted).
    batch_size : int
        Size of the batch for ``badge``, ``coreset`` and ``balanced``: it gets the
        lowest scores, in selection order; the rest follow by margin.
    labeled_counts : array-like of shape (num_classes,)
        Labeled examples per class, for ``balanced`` (:func:`~strategies.balance.class_balanced` on margin).

    Returns
    -------
    scores : ndarray of shape (num_samples,)
    """
    check_strategy(name)
    p = np.asarray(probabilities, dtype=np.float64)
    if name == 'random':
        return random_scores(len(p), rng)
    if name in MC_STRATEGIES:
        if mc_probabilities is None:
            raise ValueError(f'mc_probabilities: required by {name!r}')
        return _per_class(bald, np.asarray(mc_probabilities, dtype=np.float64), multi_label)
    if name in CLASS_STRATEGIES:
        if labeled_counts is None or not batch_size:
            raise ValueError(f'labeled_counts, batch_size: required by {name!r}')
        uncertainty = _per_class(margin, p, multi_label)
        selected = class_balanced(p, labeled_counts, min(int(batch_size), len(p)), uncertainty)
        return selection_scores(selected, uncertainty)
    if name in BATCH_STRATEGIES:
        if embeddings is None or not batch_size:
            raise ValueError(f'embeddings, batch_size: required by {name!r}')
        n = min(int(batch_size), len(p))
        if name == 'badge':
            selected = badge(p, embeddings, n, rng, multi_label=multi_label)
        else:
            selected = coverage_batch(name, embeddings, labeled_embeddings, n, rng)
        return selection_scores(selected, _per_class(margin, p, multi_label))
    return _per_class(UNCERTAINTY_STRATEGIES[name], p, multi_label)


def _per_class(strategy, p, multi_label):
    """Apply ``strategy`` to softmax outputs, or to each class's yes/no decision for multi-label.

    ``p`` has classes on its last axis; for multi-label a sample scores as its
    most uncertain class.
    """
    if not multi_label:
        return strategy(p)
    yes_no = np.stack([p, 1.0 - p], axis=-1)
    flat = yes_no.reshape(*yes_no.shape[:-3], -1, 2)
    return strategy(flat).reshape(p.shape[-2:]).min(axis=1)
