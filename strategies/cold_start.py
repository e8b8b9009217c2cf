"""Cold start: the first tasks to label, before any model exists."""
import numpy as np

from strategies.geometry import normalise, squared_distances
from strategies.validation import check_batch_size

KMEANS_ITERATIONS = 25
"""Lloyd iterations after k-means++ seeding."""


def representative(embeddings, n, rng, iterations=KMEANS_ITERATIONS):
    """One typical sample per k-means cluster, largest cluster first.

    Clustering the pool into ``n`` groups and taking the sample nearest each
    centroid covers the data with the first labels (diverse) while avoiding
    outliers (representative).

    Parameters
    ----------
    embeddings : array-like of shape (num_samples, dim)
        Pretrained-encoder embeddings of the pool; rows are L2-normalised here.
    n : int
        How many samples to pick.
    rng : numpy.random.Generator
        Seeds k-means++.

    Returns
    -------
    indices : ndarray of shape (n,)
        Pool indices, the most populous cluster's first.

    References
    ----------
    G. Hacohen, A. Dekel and D. Weinshall. Active learning on a budget:
    opposite strategies suit high and low budgets (TypiClust). ICML 2022.
    """
    x = normalise(embeddings)
    check_batch_size(len(x), n)
    centers = _kmeans_plus_plus(x, n, rng)
    for _ in range(iterations):
        assignment = squared_distances(x, centers).argmin(axis=1)
        for cluster in range(n):
            members = x[assignment == cluster]
            if len(members):
                centers[cluster] = members.mean(axis=0)
    distances = squared_distances(x, centers)
    assignment = distances.argmin(axis=1)
    sizes = np.bincount(assignment, minlength=n)
    picked = []
    for cluster in np.argsort(-sizes, kind='stable'):
        members = np.flatnonzero(assignment == cluster)
        if len(members):
            picked.append(int(members[distances[members, cluster].argmin()]))
    rest = np.setdiff1d(np.arange(len(x)), picked)
    if len(picked) < n:  # empty clusters: fill with random samples
        picked.extend(int(i) for i in rng.choice(rest, n - len(picked), replace=False))
    return np.array(picked, dtype=np.int64)


def _kmeans_plus_plus(x, k, rng):
    centers = [x[rng.integers(len(x))]]
    nearest = squared_distances(x, centers[0][None, :])[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        index = rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))
        centers.append(x[index])
        nearest = np.minimum(nearest, squared_distances(x, x[index][None, :])[:, 0])
    return np.array(centers)
