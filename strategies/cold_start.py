"""Typicality: the first tasks to label, before any model exists and while labels are few."""
import numpy as np

from strategies.geometry import normalise, squared_distances
from strategies.validation import check_batch_size

KMEANS_ITERATIONS = 25
"""Lloyd iterations after k-means++ seeding."""

TYPICALITY_NEIGHBOURS = 20
"""Neighbours whose mean distance measures a sample's typicality (TypiClust's choice)."""

MIN_CLUSTER_SIZE = 5
"""TypiClust passes over smaller clusters (outliers) while larger ones remain."""

MAX_TYPICALITY_MEMBERS = 2000
"""Typicality within a larger cluster is measured on a random sample of this many of its members."""

MAX_CLUSTERS = 500
"""TypiClust clusters into at most this many groups, however many labels there are (its authors' bound)."""


def typiclust(embeddings, labeled_embeddings, n, rng, neighbours=TYPICALITY_NEIGHBOURS,
              min_cluster=MIN_CLUSTER_SIZE, max_members=MAX_TYPICALITY_MEMBERS, iterations=KMEANS_ITERATIONS):
    """TypiClust: the most typical sample of each cluster the labeled set leaves uncovered.

    The pool and the labeled set together are clustered into ``len(labeled) + n`` groups (k-means; at most
    :data:`MAX_CLUSTERS`). Each pick takes the cluster with the fewest labeled samples, the largest among
    those (clusters under ``min_cluster`` samples only once the others are used), and from it the unlabeled
    sample of highest typicality: the inverse mean distance to its ``neighbours`` nearest fellow members (in
    a cluster of more than ``max_members``, among a random sample of that many). With a pretrained encoder
    and few labels this beats uncertainty, which needs a model worth asking.

    Parameters
    ----------
    embeddings : array-like of shape (num_samples, dim)
        The unlabeled pool.
    labeled_embeddings : array-like of shape (num_labeled, dim)
        The labeled set (may be empty).
    n : int
        Batch size.
    rng : numpy.random.Generator
        Seeds k-means++.

    Returns
    -------
    indices : ndarray of shape (n,)
        Pool indices in selection order.

    References
    ----------
    G. Hacohen, A. Dekel and D. Weinshall. Active learning on a budget: opposite strategies suit high and
    low budgets. ICML 2022.

    With nothing labeled it is the cold start: one typical sample per cluster, the largest cluster first.
    """
    pool = normalise(embeddings)
    check_batch_size(len(pool), n)
    labeled = normalise(labeled_embeddings) if len(labeled_embeddings) else np.zeros((0, pool.shape[1]))
    x = np.vstack([pool, labeled])
    k = min(len(labeled) + n, len(x), MAX_CLUSTERS)
    _, assignment = _kmeans(x, k, rng, iterations)
    sizes = np.bincount(assignment, minlength=k)
    covered = np.bincount(assignment[len(pool):], minlength=k).astype(np.float64)
    free = np.zeros(len(x), dtype=bool)
    free[:len(pool)] = True
    picked = []
    for _ in range(n):
        open_clusters = np.bincount(assignment[free], minlength=k) > 0
        large = open_clusters & (sizes >= min_cluster)
        candidates = np.flatnonzero(large if large.any() else open_clusters)
        cluster = min(candidates, key=lambda c: (covered[c], -sizes[c], c))
        members = np.flatnonzero(assignment == cluster)
        if len(members) > max_members:  # a large pool's cluster: typicality among a sample of it
            members = np.union1d(rng.choice(members, max_members, replace=False),
                                 rng.choice(members[free[members]], 1))
        typicality = _typicality(x[members], neighbours)
        typicality[~free[members]] = -np.inf
        chosen = int(members[typicality.argmax()])
        picked.append(chosen)
        free[chosen] = False
        covered[cluster] += 1
    return np.array(picked, dtype=np.int64)


def _typicality(members, neighbours, rows=1024):
    """Inverse mean distance of each member to its ``neighbours`` nearest fellow members (``rows`` members at a
    time: a cluster of a large pool never needs its whole distance matrix)."""
    if len(members) < 2:
        return np.ones(len(members))
    k = min(neighbours, len(members) - 1)
    typicality = np.empty(len(members))
    for start in range(0, len(members), rows):
        distances = np.sqrt(squared_distances(members[start:start + rows], members))
        distances[np.arange(len(distances)), np.arange(start, start + len(distances))] = np.inf
        nearest = np.partition(distances, k - 1, axis=1)[:, :k]
        typicality[start:start + rows] = 1.0 / (nearest.mean(axis=1) + 1e-12)
    return typicality


def _kmeans(x, k, rng, iterations):
    """Squared distances to ``k`` k-means centres (k-means++ seeding, Lloyd iterations) and the assignment."""
    centers = _kmeans_plus_plus(x, k, rng)
    for _ in range(iterations):
        assignment = squared_distances(x, centers).argmin(axis=1)
        sums = np.zeros_like(centers)
        np.add.at(sums, assignment, x)
        counts = np.bincount(assignment, minlength=k)
        filled = counts > 0  # an empty cluster keeps its centre
        centers[filled] = sums[filled] / counts[filled, None]
    distances = squared_distances(x, centers)
    return distances, distances.argmin(axis=1)


def _kmeans_plus_plus(x, k, rng):
    centers = [x[rng.integers(len(x))]]
    nearest = squared_distances(x, centers[0][None, :])[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        index = rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))
        centers.append(x[index])
        nearest = np.minimum(nearest, squared_distances(x, x[index][None, :])[:, 0])
    return np.array(centers)
