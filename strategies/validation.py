"""Input checks shared by the strategies."""
import numpy as np

from strategies.exceptions import EmptyPoolError, InvalidProbabilitiesError

PROBABILITY_TOLERANCE = 1e-3
"""How far a row of probabilities may sum from 1 before it is refused."""


def check_probabilities(probabilities):
    """Return ``probabilities`` as a float array of shape ``(n, k)`` with ``k >= 2``."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise InvalidProbabilitiesError(
            f'probabilities: expected shape (num_samples, num_classes >= 2), got {p.shape}')
    if p.size and not (np.isfinite(p).all() and np.all(p >= 0)
                       and np.all(np.abs(p.sum(axis=1) - 1.0) <= PROBABILITY_TOLERANCE)):
        raise InvalidProbabilitiesError('probabilities: every row must be finite, non-negative and sum to 1')
    return p


def check_batch_size(pool_size, n):
    """Refuse a batch of ``n`` that the pool cannot fill."""
    if n < 1 or n > pool_size:
        raise EmptyPoolError(f'n: expected 1 <= n <= {pool_size} (the pool size), got {n}')
