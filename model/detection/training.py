"""Fine-tune an object detector on boxes normalised to the image."""
import numpy as np
import torch
from PIL import Image

from model.contracts import ModelCard
from model.detection.network import Detector
from model.detection.predictor import DetectionPredictor
from model.detection.targets import CenterNetLoss, Targets, encode
from model.device import CPU
from model.exceptions import TrainingDataError
from model.images import pixel_tensor
from model.training import TrainingConfig, optimize
from strategies.boxes import flip_horizontally

OBJECT_DETECTION = 'object_detection'
"""``ModelCard.kind`` of an object detector."""

FLIP_PROBABILITY = 0.5
"""Chance that a training image is mirrored left to right (with its boxes) at each step."""


def fine_tune_detector(weights, images, boxes, labels, config=None, runtime=CPU):
    """Fine-tune a :class:`~model.detection.network.Detector` on the EfficientNet-Lite0 checkpoint
    ``weights``; returns a :class:`~model.detection.predictor.DetectionPredictor`.

    Args:
        images: RGB ``uint8`` arrays ``(height, width, 3)`` of any size (read
            as ``config.image_size`` squares, stretched).
        boxes: per image, a list of ``(x1, y1, x2, y2, label)`` normalised to
            [0, 1] of that image; an empty list is an image without objects.
        labels: every label name; the detector's classes, in this order.
        config: the :class:`~model.training.TrainingConfig` (``image_size`` is
            the side the network reads).

    Raises:
        TrainingDataError: no images, boxes not one list per image, an unknown
            label, a coordinate outside [0, 1] or a box without area.
        ModelNotFoundError: ``weights`` cannot be loaded.
    """
    config = config or TrainingConfig()
    corners, classes = _check_boxes(images, boxes, labels)
    runtime = runtime.without_bf16()
    device = runtime.device
    torch.manual_seed(config.seed)  # before the head is drawn
    detector = Detector.from_encoder(weights, len(labels))
    squares = [_square(image, config.image_size) for image in images]
    rng = np.random.default_rng(config.seed)
    loss_fn = CenterNetLoss()

    def batch_loss(index):
        index = index.tolist()
        flip = rng.random(len(index)) < FLIP_PROBABILITY
        pixels = pixel_tensor([squares[i][:, ::-1] if f else squares[i] for i, f in zip(index, flip)],
                              config.image_size)
        outputs = detector(pixels.to(device))
        batch_boxes = [flip_horizontally(corners[i]) if f else corners[i] for i, f in zip(index, flip)]
        targets = encode(batch_boxes, [classes[i] for i in index], len(labels), outputs[0].shape[-2:])
        return loss_fn(outputs, Targets(*(t.to(device) for t in targets)))

    optimize(detector, len(images), batch_loss, loss_fn, config, runtime)
    card = ModelCard(labels=tuple(labels), multi_label=False, max_length=0, base_model=str(weights),
                     kind=OBJECT_DETECTION, image_size=config.image_size)
    return DetectionPredictor(detector, card, runtime)


def _check_boxes(images, boxes, labels):
    """Per image, the corners ``(n_i, 4)`` and class indices ``(n_i,)`` of ``boxes``."""
    if not len(images):
        raise TrainingDataError('images: no images to train on')
    if len(boxes) != len(images):
        raise TrainingDataError(f'boxes: expected one list per image ({len(images)}), got {len(boxes)}')
    index = {label: k for k, label in enumerate(labels)}
    corners, classes = [], []
    for number, image_boxes in enumerate(boxes):
        for x1, y1, x2, y2, label in image_boxes:
            if label not in index:
                raise TrainingDataError(f'boxes: image {number} has label {label!r}, not one of {list(labels)}')
            if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
                raise TrainingDataError(f'boxes: image {number} has a box outside [0, 1]: {(x1, y1, x2, y2)}')
            if x2 <= x1 or y2 <= y1:
                raise TrainingDataError(f'boxes: image {number} has a box without area: {(x1, y1, x2, y2)}')
        corners.append(np.array([b[:4] for b in image_boxes], dtype=np.float32).reshape(-1, 4))
        classes.append(np.array([index[b[4]] for b in image_boxes], dtype=np.int64))
    return corners, classes


def _square(image, size):
    """``image`` stretched to ``(size, size, 3)`` once, so that steps only stack and scale."""
    if image.shape[:2] == (size, size):
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))

