"""Bayesian active learning by disagreement over stochastic forward passes."""
import numpy as np

from strategies.exceptions import InvalidProbabilitiesError
from strategies.uncertainty import _clip, _entropy
from strategies.validation import check_probabilities


def bald(mc_probabilities):
    """One minus the mutual information between prediction and weights, normalised by ``log(k)``.

    Parameters
    ----------
    mc_probabilities : array-like of shape (num_passes, num_samples, num_classes)
        Class probabilities of each stochastic (MC-dropout) pass.

    Returns
    -------
    scores : ndarray of shape (num_samples,)
        In ``[0, 1]``; lower means the passes disagree more (label first).

    References
    ----------
    N. Houlsby, F. Huszár, Z. Ghahramani and M. Lengyel. Bayesian active
    learning for classification and preference learning. arXiv:1112.5745, 2011.
    Y. Gal, R. Islam and Z. Ghahramani. Deep Bayesian active learning with image
    data. ICML 2017.
    """
    p = np.asarray(mc_probabilities, dtype=np.float64)
    if p.ndim != 3 or p.shape[0] < 2:
        raise InvalidProbabilitiesError(
            f'mc_probabilities: expected shape (num_passes >= 2, num_samples, num_classes), got {p.shape}')
    check_probabilities(p.reshape(-1, p.shape[-1]))
    mean = p.mean(axis=0)
    mutual_information = _entropy(mean) - _entropy(p).mean(axis=0)
    return _clip(1.0 - mutual_information / np.log(p.shape[-1]))
