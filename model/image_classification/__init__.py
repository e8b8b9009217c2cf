"""Image classification: one ``<Choices>`` over one ``<Image>``, learned by a fine-tuned EfficientNet-Lite0."""
from model.image_classification.network import ImageClassifier, default_image_model, image_encoder
from model.image_classification.predictor import ImagePredictor
from model.image_classification.task_type import ImageClassification
from model.image_classification.training import IMAGE_CLASSIFICATION, fine_tune_images, image_embedder

__all__ = ['IMAGE_CLASSIFICATION', 'ImageClassification', 'ImageClassifier', 'ImagePredictor', 'default_image_model',
           'fine_tune_images', 'image_embedder', 'image_encoder']
