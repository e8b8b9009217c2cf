"""Errors raised by the model package."""


class ModelError(Exception):
    """Base class of every error raised by the model package."""


class ModelNotFoundError(ModelError):
    """A version that is not in the store, or a base model that cannot be loaded."""


class TrainingDataError(ModelError):
    """Labels that cannot train a classifier (too few, or unknown names)."""


class TrainingDivergedError(ModelError):
    """A fine-tune whose weights are no longer finite: its model would score every task NaN."""
