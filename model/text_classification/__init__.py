"""Text classification: one ``<Choices>`` over one ``<Text>`` (or a dialogue's ``<Paragraphs>``, a ``<Chat>``),
learned by a fine-tuned sentence encoder."""
from model.text_classification.network import TextClassifier
from model.text_classification.predictor import TextPredictor
from model.text_classification.task_type import ChatClassification, DialogueClassification, TextClassification
from model.text_classification.training import TEXT_CLASSIFICATION, fine_tune

__all__ = ['TEXT_CLASSIFICATION', 'ChatClassification', 'DialogueClassification', 'TextClassification',
           'TextClassifier', 'TextPredictor', 'fine_tune']
