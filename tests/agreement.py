"""Krippendorff's alpha computed by hand, to check the library's figures against."""
from itertools import combinations


def hand_alpha(first, second):
    """Nominal alpha of two annotators who both labeled every unit, from its definition: 1 - D_o / D_e over
    the coincidence matrix (each unit gives the pairs (a, b) and (b, a))."""
    pairs = [*zip(first, second), *zip(second, first)]
    n = len(pairs)
    totals = {v: sum(1 for a, _ in pairs if a == v) for v in set(first) | set(second)}
    observed = sum(1 for a, b in pairs if a != b) / n
    expected = sum(totals[a] * totals[b] for a, b in combinations(sorted(totals), 2)) * 2 / (n * (n - 1))
    return 1 - observed / expected
