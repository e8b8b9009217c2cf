"""What text and image classification share: the ``<Choices>`` task type, its model and its training targets."""
from model.classification.predictor import ClassifierModel, Inference, choices_from, probabilities
from model.classification.targets import classification_loss, classification_targets, encode_targets
from model.classification.task_type import Classification

__all__ = ['Classification', 'ClassifierModel', 'Inference', 'choices_from', 'classification_loss',
           'classification_targets', 'encode_targets', 'probabilities']
