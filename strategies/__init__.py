"""Acquisition functions: numpy arrays in, scores out, no I/O."""
from strategies.baseline import random_scores
from strategies.exceptions import InvalidProbabilitiesError, StrategyError, UnknownStrategyError
from strategies.scoring import STRATEGIES, check_strategy, score
from strategies.uncertainty import entropy, least_confidence, margin

__all__ = [
    'STRATEGIES',
    'InvalidProbabilitiesError',
    'StrategyError',
    'UnknownStrategyError',
    'check_strategy',
    'entropy',
    'least_confidence',
    'margin',
    'random_scores',
    'score',
]
