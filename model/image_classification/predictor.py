"""A trained image classifier ready for inference."""
import numpy as np
import torch
from safetensors.torch import load_file, save_file

from model.classification import ClassifierModel
from model.contracts import save_head, with_saved_head
from model.device import CPU
from model.image_classification.network import ImageClassifier, image_encoder
from model.images import pixel_tensor

ENCODER_WEIGHTS = 'encoder.safetensors'
"""Weights of the image encoder in a version folder."""

IMAGES_PER_BATCH = 32
"""Images per forward pass at inference."""


class ImagePredictor(ClassifierModel):
    """Batched inference with an :class:`~model.image_classification.network.ImageClassifier`; inputs are
    RGB ``uint8`` arrays or :class:`~model.images.SizedImage` (:func:`~model.images.read_image`). It runs
    in fp32: the bfloat16 calibration measures the text encoder."""

    def __init__(self, classifier, card, runtime=CPU):
        super().__init__(classifier, card, runtime.without_bf16())

    def save(self, folder):
        save_file({k: v.detach().cpu().contiguous() for k, v in self.classifier.encoder.state_dict().items()},
                  str(folder / ENCODER_WEIGHTS))
        save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        encoder = image_encoder()
        encoder.load_state_dict(load_file(str(folder / ENCODER_WEIGHTS)))
        return cls(with_saved_head(ImageClassifier, encoder, folder), card, runtime)

    def _batched(self, images, forward):
        pieces = []
        with torch.inference_mode():
            for start in range(0, len(images), IMAGES_PER_BATCH):
                pixels = pixel_tensor(images[start:start + IMAGES_PER_BATCH], self.card.image_size)
                pieces.append([t.float().cpu().numpy() for t in forward(pixels.to(self.runtime.device))])
        return tuple(np.concatenate(parts) for parts in zip(*pieces))
