"""A trained object detector ready for inference: candidate boxes, detections and acquisition scores."""
from dataclasses import dataclass

import numpy as np
import torch
from safetensors.torch import load_file

from model.contracts import HEAD_WEIGHTS, LoadedModel, save_head
from model.detection.boxes import batched_nms
from model.detection.network import EMBEDDING_SIZE, Detector
from model.detection.targets import decode
from model.device import CPU
from model.image_classification.network import load_encoder, save_encoder
from model.images import pixel_tensor
from strategies.boxes import flip_horizontally
from strategies.detection import DETECTION_THRESHOLD, FLIP_STRATEGIES, score_detections

IMAGES_PER_BATCH = 16
"""Images per forward pass at inference (twice as many run when the mirrored images are asked for)."""

NMS_IOU = 0.5
"""Boxes of one label overlapping a better one by more than this IoU are dropped
(:meth:`DetectionPredictor.detections`)."""


@dataclass(frozen=True)
class DetectionInference:
    """What one pass over a pool gives the detection strategies (see :mod:`strategies.detection`).

    Attributes:
        boxes: per image, xyxy ``(n_i, 4)`` normalised to [0, 1]: every
            candidate (:func:`~model.detection.targets.decode`), best first.
        class_probabilities: per image, ``(n_i, num_classes)``, rows sum to 1.
        confidences: per image, ``(n_i,)`` in [0, 1].
        embeddings: pooled backbone features ``(num_images, 1280)``.
        flipped_boxes, flipped_class_probabilities, flipped_confidences: the
            same on the mirrored images, boxes mapped back to the original
            image; None unless asked for.
    """

    boxes: list
    class_probabilities: list
    confidences: list
    embeddings: np.ndarray
    flipped_boxes: list = None
    flipped_class_probabilities: list = None
    flipped_confidences: list = None


class DetectionPredictor(LoadedModel):
    """Batched inference with a :class:`~model.detection.network.Detector`; inputs are RGB ``uint8``
    arrays of any size (read as ``card.image_size`` squares). It runs in fp32, like the image classifier."""

    def __init__(self, detector, card, runtime=CPU):
        super().__init__(detector, card, runtime.without_bf16())

    def infer(self, images, mc_passes=0, rng=None, flipped=False):
        """Every candidate box of ``images``; returns a :class:`DetectionInference`.

        ``flipped`` also runs the images mirrored left to right (for the
        ``consistency`` strategy), in the same batches. ``mc_passes`` and
        ``rng`` are ignored: no detection strategy samples the network.
        """
        parts = [self._infer_batch(images[start:start + IMAGES_PER_BATCH], flipped)
                 for start in range(0, len(images), IMAGES_PER_BATCH)]
        names = _LISTS + _FLIPPED if flipped else _LISTS
        lists = {name: [item for part in parts for item in part[name]] for name in names}
        embeddings = (np.concatenate([part['embeddings'] for part in parts]) if parts
                      else np.zeros((0, EMBEDDING_SIZE), dtype=np.float32))
        return DetectionInference(embeddings=embeddings, **lists)

    def inference_for(self, strategy, inputs, mc_passes, rng):
        """:meth:`infer`, with the mirrored images where ``strategy`` compares them."""
        return self.infer(inputs, flipped=strategy in FLIP_STRATEGIES)

    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None,
               threshold=DETECTION_THRESHOLD):
        """:func:`~strategies.detection.score_detections` of ``inference``, shape ``(num_images,)``."""
        return score_detections(strategy, inference.class_probabilities, inference.boxes, inference.confidences,
                                rng, flipped_class_probabilities=inference.flipped_class_probabilities,
                                flipped_boxes=inference.flipped_boxes,
                                flipped_confidences=inference.flipped_confidences,
                                embeddings=inference.embeddings, labeled_embeddings=labeled_embeddings,
                                batch_size=batch_size, threshold=threshold)

    def detections(self, inference, threshold, max_boxes, iou=NMS_IOU):
        """Per image, ``[(x1, y1, x2, y2, label, score), ...]`` normalised, best first.

        A candidate is kept when its confidence (the score) reaches
        ``threshold`` and no better one of its label (the most probable class)
        overlaps it by more than ``iou``; at most ``max_boxes`` per image.
        """
        found = []
        for boxes, probabilities, confidences in zip(inference.boxes, inference.class_probabilities,
                                                     inference.confidences):
            classes = probabilities.argmax(axis=1)
            keep = batched_nms(boxes, confidences, classes, iou, score_threshold=threshold,
                               max_detections=max_boxes).numpy()
            found.append([(*(float(v) for v in boxes[k]), self.card.labels[classes[k]], float(confidences[k]))
                          for k in keep])
        return found

    def save(self, folder):
        save_encoder(self.classifier.encoder, folder)
        save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        detector = Detector(load_encoder(folder), len(card.labels))
        detector.head.load_state_dict(load_file(str(folder / HEAD_WEIGHTS)))
        return cls(detector, card, runtime)

    def _infer_batch(self, images, flipped):
        """The candidates (and mirrored ones) and embeddings of one batch, as lists and an array."""
        pixels = pixel_tensor(images, self.card.image_size).to(self.runtime.device)
        if flipped:
            pixels = torch.cat([pixels, pixels.flip(3)])
        with torch.inference_mode():
            logits, size, offset, embeddings = self.classifier.forward_and_embed(pixels)
            candidates = decode(torch.sigmoid(logits), size, offset)
        n = len(images)
        part = {'boxes': candidates.boxes[:n], 'class_probabilities': candidates.class_probabilities[:n],
                'confidences': candidates.confidences[:n], 'embeddings': embeddings[:n].cpu().numpy()}
        if flipped:
            part.update(flipped_boxes=[flip_horizontally(b).astype(np.float32) for b in candidates.boxes[n:]],
                        flipped_class_probabilities=candidates.class_probabilities[n:],
                        flipped_confidences=candidates.confidences[n:])
        return part


_FLIPPED = ('flipped_boxes', 'flipped_class_probabilities', 'flipped_confidences')
_LISTS = ('boxes', 'class_probabilities', 'confidences')
