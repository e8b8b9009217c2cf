"""A trained image classifier ready for inference, and its fine-tuning."""
import numpy as np
import torch
from safetensors.torch import load_file, save_file

from model.device import CPU
from model.image_classifier import ImageClassifier, image_encoder
from model.images import pixel_tensor
from model.predictor import ModelCard, Predictor, _save_head, _with_head
from model.training import TrainingConfig, classification_targets, optimize

IMAGE_CLASSIFICATION = 'image_classification'
"""``ModelCard.kind`` of an image classifier."""

ENCODER_WEIGHTS = 'encoder.safetensors'
"""Weights of the image encoder in a version folder."""

IMAGES_PER_BATCH = 32
"""Images per forward pass at inference."""


class ImagePredictor(Predictor):
    """Batched inference with an :class:`~model.image_classifier.ImageClassifier`; inputs are RGB ``uint8``
    arrays (:func:`~model.images.read_image`). It runs in fp32: the bfloat16 calibration measures the text
    encoder."""

    MODULE = ImageClassifier

    def __init__(self, classifier, card, runtime=CPU):
        super().__init__(classifier, None, card, runtime.without_bf16())

    def save(self, folder):
        save_file({k: v.detach().cpu().contiguous() for k, v in self.classifier.encoder.state_dict().items()},
                  str(folder / ENCODER_WEIGHTS))
        _save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        encoder = image_encoder()
        encoder.load_state_dict(load_file(str(folder / ENCODER_WEIGHTS)))
        return cls(_with_head(cls.MODULE, encoder, folder), card, runtime)

    def _batched(self, images, forward):
        pieces = []
        with torch.inference_mode():
            for start in range(0, len(images), IMAGES_PER_BATCH):
                pixels = pixel_tensor(images[start:start + IMAGES_PER_BATCH], self.card.image_size)
                pieces.append([t.float().cpu().numpy() for t in forward(pixels.to(self.runtime.device))])
        return tuple(np.concatenate(parts) for parts in zip(*pieces))


def fine_tune_images(weights, images, targets, labels, multi_label=False, config=None, runtime=CPU):
    """Fine-tune the EfficientNet-Lite0 checkpoint ``weights`` with a fresh head; returns an
    :class:`ImagePredictor`.

    Args:
        images: RGB ``uint8`` arrays (:func:`~model.images.read_image`).
        targets, labels, multi_label: as for :func:`~model.training.fine_tune`.
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


def image_embedder(weights, image_size, runtime=CPU):
    """``embed(images)``: pooled features ``(len(images), 1280)`` of the pretrained encoder (for the cold start)."""
    card = ModelCard(labels=('',), multi_label=False, max_length=0, base_model=str(weights),
                     kind=IMAGE_CLASSIFICATION, image_size=image_size)
    return ImagePredictor(ImageClassifier.from_encoder(weights, 1), card, runtime).embed
