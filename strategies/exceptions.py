"""Errors raised by the strategies."""


class StrategyError(ValueError):
    """Base class of every error raised by a strategy."""


class InvalidProbabilitiesError(StrategyError):
    """Probabilities do not have the shape or the values of a distribution."""


class UnknownStrategyError(StrategyError):
    """A strategy name that is not registered."""


class EmptyPoolError(StrategyError):
    """More samples asked for than the pool holds."""
