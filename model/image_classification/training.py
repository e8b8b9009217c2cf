"""Fine-tune an image classifier, and the pretrained encoder's embeddings for the cold start."""
import torch

from model.classification import classification_targets
from model.contracts import ModelCard
from model.device import CPU
from model.image_classification.network import ImageClassifier
from model.image_classification.predictor import ImagePredictor
from model.images import pixel_tensor
from model.training import TrainingConfig, optimize

IMAGE_CLASSIFICATION = 'image_classification'
"""``ModelCard.kind`` of an image classifier."""


def fine_tune_images(weights, images, targets, labels, multi_label=False, config=None, runtime=CPU):
    """Fine-tune the EfficientNet-Lite0 checkpoint ``weights`` with a fresh head; returns an
    :class:`ImagePredictor`.

    Args:
        images: RGB ``uint8`` arrays or :class:`~model.images.SizedImage` (:func:`~model.images.read_image`).
        targets, labels, multi_label: as for :func:`~model.text_classification.fine_tune`.
        config: the :class:`~model.training.TrainingConfig` (``image_size`` is the side the encoder reads).

    Raises:
        TrainingDataError: no images, or a target naming an unknown label.
        ModelNotFoundError: ``weights`` cannot be loaded.
    """
    config = config or TrainingConfig()
    target, loss_fn = classification_targets('images', len(images), targets, labels, multi_label, config)
    runtime = runtime.without_bf16()
    torch.manual_seed(config.seed)  # before the head is drawn
    classifier = ImageClassifier.from_encoder(weights, len(labels))
    device = runtime.device

    def batch_loss(index):
        pixels = pixel_tensor([images[i] for i in index.tolist()], config.image_size).to(device)
        return loss_fn(classifier(pixels), target[index].to(device))

    optimize(classifier, len(images), batch_loss, loss_fn, config, runtime)
    card = ModelCard(labels=tuple(labels), multi_label=multi_label, max_length=0, base_model=str(weights),
                     kind=IMAGE_CLASSIFICATION, image_size=config.image_size)
    return ImagePredictor(classifier, card, runtime)


def image_embedder(weights, training, runtime=CPU):
    """``embed(images)``: pooled features ``(len(images), 1280)`` of the pretrained encoder (for the cold start)."""
    card = ModelCard(labels=('',), multi_label=False, max_length=0, base_model=str(weights),
                     kind=IMAGE_CLASSIFICATION, image_size=training.image_size)
    return ImagePredictor(ImageClassifier.from_encoder(weights, 1), card, runtime).embed
