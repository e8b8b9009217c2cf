"""The random baseline."""


def random_scores(num_samples, rng):
    """Uniform scores in ``[0, 1)``: the order they give is random sampling.

    Parameters
    ----------
    num_samples : int
        Number of scores to draw.
    rng : numpy.random.Generator
        Source of randomness; pass a seeded one for a reproducible order.
    """
    if num_samples < 0:
        raise ValueError(f'num_samples: expected a count >= 0, got {num_samples}')
    return rng.random(num_samples)
