"""Weights, training, inference and the version store."""
from model.cache import ModelCache
from model.evaluation import classification_metrics, in_holdout, indicators
from model.exceptions import ModelError, ModelNotFoundError, TrainingDataError
from model.predictor import ModelCard, Predictor
from model.store import VersionStore
from model.training import TrainingConfig, fine_tune

__all__ = [
    'ModelCache',
    'ModelCard',
    'ModelError',
    'ModelNotFoundError',
    'Predictor',
    'TrainingConfig',
    'TrainingDataError',
    'VersionStore',
    'classification_metrics',
    'fine_tune',
    'in_holdout',
    'indicators',
]
