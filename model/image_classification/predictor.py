"""A trained image classifier ready for inference."""
import numpy as np
import torch

from model.classification import ClassifierModel
from model.contracts import save_head, with_saved_head
from model.device import CPU
from model.image_classification.network import ImageClassifier, load_encoder, save_encoder
from model.images import pixel_tensor

IMAGES_PER_BATCH = 32
"""Images per forward pass at inference."""


class ImagePredictor(ClassifierModel):
    """Batched inference with an :class:`~model.image_classification.network.ImageClassifier`; inputs are
    RGB ``uint8`` arrays or :class:`~model.images.SizedImage` (:func:`~model.images.read_image`). It runs
    in fp32: the bfloat16 calibration measures the text encoder."""

    def __init__(self, classifier, card, runtime=CPU):
        super().__init__(classifier, card, runtime.without_bf16())

    def save(self, folder):
        save_encoder(self.classifier.encoder, folder)
        save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        return cls(with_saved_head(ImageClassifier, load_encoder(folder), folder), card, runtime)

    def _batched(self, images, forward):
        pieces = []
        with torch.inference_mode():
            for start in range(0, len(images), IMAGES_PER_BATCH):
                pixels = pixel_tensor(images[start:start + IMAGES_PER_BATCH], self.card.image_size)
                pieces.append([t.float().cpu().numpy() for t in forward(pixels.to(self.runtime.device))])
        return tuple(np.concatenate(parts) for parts in zip(*pieces))
