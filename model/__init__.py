"""Weights, training, inference and the version store; one package per task type."""
from model.cache import ModelCache
from model.contracts import LoadedModel, ModelCard
from model.evaluation import classification_metrics, in_holdout, indicators
from model.exceptions import ModelError, ModelNotFoundError, TrainingDataError
from model.store import VersionStore
from model.training import TrainingConfig

__all__ = [
    'LoadedModel',
    'ModelCache',
    'ModelCard',
    'ModelError',
    'ModelNotFoundError',
    'TrainingConfig',
    'TrainingDataError',
    'VersionStore',
    'classification_metrics',
    'in_holdout',
    'indicators',
]
