"""Acquisition for sequences (token classification): per-token probabilities aggregated into one score per task.

A pool of ``num_sequences`` texts comes as a list of arrays, text ``i`` of
shape ``(len_i, num_tags)`` (softmax over BIO tags; ``len_i`` may be 0). Each
function returns scores of shape ``(num_sequences,)`` in ``[0, 1]`` where
**lower means label first**, like :mod:`strategies.uncertainty`. A text
without tokens scores 1: there is nothing in it to learn, so it comes last.

All tokens of the pool are concatenated into one array and scored at once;
per-sequence aggregates are segment reductions (``ufunc.reduceat``).
"""
import numpy as np

from strategies.baseline import random_scores
from strategies.bayesian import bald
from strategies.diversity import badge, coverage_batch, selection_scores
from strategies.exceptions import InvalidProbabilitiesError
from strategies.scoring import BATCH_STRATEGIES, MC_STRATEGIES, check_strategy
from strategies.segments import longest_gradient_rows, reduce_segments
from strategies.uncertainty import _clip, entropy, margin
from strategies.validation import check_probabilities


def mnlp(token_probabilities):
    """Maximum normalised log-probability: the geometric mean of the top tag probabilities.

    For a token classifier the best tag sequence is the per-token argmax, so
    ``MNLP = mean_t log(max_tag p_t)``. ``exp(MNLP)`` is rescaled from
    ``[1/k, 1]`` to ``[0, 1]``: on one token it equals
    :func:`~strategies.uncertainty.least_confidence`. Averaging (not summing)
    the log-probabilities keeps long texts from always coming first.

    Parameters
    ----------
    token_probabilities : list of array-like, each of shape (len_i, num_tags)

    Returns
    -------
    scores : ndarray of shape (num_sequences,)

    References
    ----------
    Y. Shen, H. Yun, Z. C. Lipton, Y. Kronrod and A. Anandkumar. Deep active
    learning for named entity recognition. ICLR 2018.
    """
    tokens, lengths = _tokens(token_probabilities)
    num_tags = tokens.shape[1]
    # log(0) = 0 for a text without tokens: a geometric mean of 1, the score of a certain text.
    mean_log = _mean(np.log(tokens.max(axis=1)), lengths, empty=0.0)
    return _clip((np.exp(mean_log) - 1.0 / num_tags) / (1.0 - 1.0 / num_tags))


def token_entropy(token_probabilities):
    """One minus the mean over tokens of the tag entropy, normalised by ``log(num_tags)``.

    Parameters
    ----------
    token_probabilities : list of array-like, each of shape (len_i, num_tags)

    Returns
    -------
    scores : ndarray of shape (num_sequences,)

    References
    ----------
    B. Settles and M. Craven. An analysis of active learning strategies for
    sequence labeling tasks. EMNLP 2008 (total token entropy, here averaged).
    """
    tokens, lengths = _tokens(token_probabilities)
    return _mean(entropy(tokens), lengths, empty=1.0)


def max_token_entropy(token_probabilities):
    """One minus the largest tag entropy of any token, normalised by ``log(num_tags)``.

    A text scores as its most uncertain token, whatever its length.

    Parameters
    ----------
    token_probabilities : list of array-like, each of shape (len_i, num_tags)

    Returns
    -------
    scores : ndarray of shape (num_sequences,)

    References
    ----------
    B. Settles and M. Craven. An analysis of active learning strategies for
    sequence labeling tasks. EMNLP 2008.
    """
    tokens, lengths = _tokens(token_probabilities)
    return reduce_segments(np.minimum, entropy(tokens), lengths, empty=1.0)


def min_token_margin(token_probabilities):
    """The smallest gap, over tokens, between the two most probable tags.

    Parameters
    ----------
    token_probabilities : list of array-like, each of shape (len_i, num_tags)

    Returns
    -------
    scores : ndarray of shape (num_sequences,)

    References
    ----------
    T. Scheffer, C. Decomain and S. Wrobel. Active hidden Markov models for
    information extraction. IDA 2001.
    """
    tokens, lengths = _tokens(token_probabilities)
    return reduce_segments(np.minimum, margin(tokens), lengths, empty=1.0)


def sequence_bald(mc_token_probabilities):
    """One minus the mean over tokens of the BALD mutual information, normalised by ``log(num_tags)``.

    Parameters
    ----------
    mc_token_probabilities : list of array-like, each of shape (num_passes, len_i, num_tags)
        Tag probabilities of each stochastic (MC-dropout) pass; every text has
        the same ``num_passes >= 2`` and ``num_tags``.

    Returns
    -------
    scores : ndarray of shape (num_sequences,)
        Lower means the passes disagree more on the text's tokens.

    References
    ----------
    A. Siddhant and Z. C. Lipton. Deep Bayesian active learning for natural
    language processing: results of a large-scale empirical study. EMNLP 2018.
    N. Houlsby, F. Huszár, Z. Ghahramani and M. Lengyel. Bayesian active
    learning for classification and preference learning. arXiv:1112.5745, 2011.
    """
    passes, lengths = _concatenate(mc_token_probabilities, 'mc_token_probabilities', token_axis=1)
    return _mean(bald(passes), lengths, empty=1.0)


SEQUENCE_UNCERTAINTY_STRATEGIES = {
    'least_confidence': mnlp,
    'margin': min_token_margin,
    'entropy': token_entropy,
    'max_entropy': max_token_entropy,
}
"""Strategies that score each text from its own token probabilities."""

SEQUENCE_STRATEGIES = (*SEQUENCE_UNCERTAINTY_STRATEGIES, *MC_STRATEGIES, *BATCH_STRATEGIES, 'random')
"""Every strategy name accepted by :func:`score_sequences`."""


def score_sequences(name, token_probabilities, rng, mc_token_probabilities=None, embeddings=None,
                    labeled_embeddings=None, batch_size=None):
    """Scores in ``[0, 1]`` for a pool of texts, lower means label first.

    The sequence counterpart of :func:`strategies.scoring.score`.

    Parameters
    ----------
    name : str
        One of :data:`SEQUENCE_STRATEGIES`: ``least_confidence`` (:func:`mnlp`),
        ``margin`` (:func:`min_token_margin`), ``entropy`` (:func:`token_entropy`),
        ``max_entropy`` (:func:`max_token_entropy`), ``bald``
        (:func:`sequence_bald`), ``badge``, ``coreset`` or ``random``.
    token_probabilities : list of array-like, each of shape (len_i, num_tags)
    rng : numpy.random.Generator
        Used by ``random``, ``badge`` and ``coreset``.
    mc_token_probabilities : list of array-like, each of shape (num_passes, len_i, num_tags)
        Stochastic passes, for ``bald``.
    embeddings : array-like of shape (num_sequences, dim)
        Pooled text embeddings, for ``badge`` and ``coreset``.
    labeled_embeddings : array-like of shape (num_labeled, dim)
        The labeled set, for ``coreset`` (may be omitted).
    batch_size : int
        Size of the diverse batch for ``badge`` and ``coreset``: it gets the
        lowest scores, in selection order; the rest follow by :func:`mnlp`.

    Returns
    -------
    scores : ndarray of shape (num_sequences,)

    Notes
    -----
    ``badge`` needs one gradient embedding per text but only has pooled
    embeddings. A text's gradient is taken as that of its token with the
    longest gradient ``p_t - onehot(argmax p_t)``, times the pooled embedding
    (see :func:`_badge_probabilities`). A text whose tokens are all certain
    thus has no gradient, whatever tags they carry.
    """
    check_strategy(name, SEQUENCE_STRATEGIES)
    num_sequences = len(token_probabilities)
    if name == 'random':
        return random_scores(num_sequences, rng)
    if name in MC_STRATEGIES:
        if mc_token_probabilities is None:
            raise ValueError(f'mc_token_probabilities: required by {name!r}')
        if len(mc_token_probabilities) != num_sequences:
            raise InvalidProbabilitiesError(
                f'mc_token_probabilities: expected {num_sequences} texts like token_probabilities, '
                f'got {len(mc_token_probabilities)}')
        return sequence_bald(mc_token_probabilities)
    if name in BATCH_STRATEGIES:
        if embeddings is None or not batch_size:
            raise ValueError(f'embeddings, batch_size: required by {name!r}')
        if len(embeddings) != num_sequences:
            raise ValueError(f'embeddings: expected {num_sequences} rows, one per text, got {len(embeddings)}')
        n = min(int(batch_size), num_sequences)
        if name == 'badge':
            selected = badge(_badge_probabilities(token_probabilities), embeddings, n, rng)
        else:
            selected = coverage_batch(name, embeddings, labeled_embeddings, n, rng)
        return selection_scores(selected, mnlp(token_probabilities))
    return SEQUENCE_UNCERTAINTY_STRATEGIES[name](token_probabilities)


def _badge_probabilities(token_probabilities):
    """One tag distribution per text whose BADGE gradient is that of the text's longest-gradient token.

    The mean token distribution would not do: a text of certain tokens with
    different tags (``O`` and ``B-PER``) averages to an uncertain-looking
    distribution. A text without tokens gets a one-hot row: no gradient.
    """
    return longest_gradient_rows(*_tokens(token_probabilities))


def _tokens(token_probabilities):
    """All tokens of the pool as one ``(num_tokens, num_tags)`` array, and the length of each text."""
    tokens, lengths = _concatenate(token_probabilities, 'token_probabilities', token_axis=0)
    return check_probabilities(tokens), lengths


def _concatenate(sequences, name, token_axis):
    """Concatenate per-text arrays along ``token_axis``; check the other axes agree.

    Returns the concatenation and the lengths, shape ``(num_sequences,)``.
    """
    arrays = [np.asarray(s, dtype=np.float64) for s in sequences]
    expected = '(num_passes, num_tokens, num_tags >= 2)' if token_axis else '(num_tokens, num_tags >= 2)'
    for i, a in enumerate(arrays):
        if a.ndim != token_axis + 2 or a.shape[-1] < 2:
            raise InvalidProbabilitiesError(f'{name}[{i}]: expected shape {expected}, got {a.shape}')
        if _drop(a.shape, token_axis) != _drop(arrays[0].shape, token_axis):
            raise InvalidProbabilitiesError(
                f'{name}[{i}]: expected shape {expected} agreeing with {name}[0] {arrays[0].shape}, got {a.shape}')
    lengths = np.array([a.shape[token_axis] for a in arrays], dtype=np.int64)
    if not arrays:  # an empty pool: no tokens, of some valid shape
        return np.zeros((2,) * token_axis + (0, 2)), lengths
    return np.concatenate(arrays, axis=token_axis), lengths


def _drop(shape, axis):
    return shape[:axis] + shape[axis + 1:]


def _mean(token_values, lengths, empty):
    """Mean over each text's tokens, shape ``(num_sequences,)``; ``empty`` for texts without tokens."""
    sums = reduce_segments(np.add, token_values, lengths, empty=empty)
    return np.where(lengths > 0, sums / np.maximum(lengths, 1), empty)
