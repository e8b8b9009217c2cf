"""Distances between embeddings, shared by the diversity and cold-start strategies."""
import numpy as np


def normalise(x):
    """Rows of ``x`` scaled to unit L2 norm (all-zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def squared_distances(x, centers):
    """Squared Euclidean distances, shape ``(len(x), len(centers))``, clipped at 0 against rounding."""
    return np.maximum((x * x).sum(1)[:, None] + (centers * centers).sum(1)[None, :] - 2.0 * x @ centers.T, 0.0)
