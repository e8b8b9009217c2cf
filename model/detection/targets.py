"""CenterNet's training targets and loss, and the decoding of its maps into candidate boxes.

Every map here is ``(batch, channels, h, w)`` over the image split into
``h`` by ``w`` cells. An object is the cell holding its box's centre: its
class's heatmap is 1 there and falls off as a Gaussian; the size and offset
maps hold its box there only. Boxes are ``x1, y1, x2, y2`` normalised to
[0, 1] of the image, as in :mod:`strategies.detection`.
"""
import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MIN_OVERLAP = 0.7
"""CenterNet's ``min_overlap``: sets a box's Gaussian radius (:func:`gaussian_radius`)."""

SIZE_WEIGHT = 5.0
"""Weight of the L1 loss of box sizes (fractions of the image) against the heatmap's focal loss."""

OFFSET_WEIGHT = 1.0
"""Weight of the L1 loss of centre offsets (fractions of a cell), CenterNet's."""

TOP_K = 100
"""Candidates :func:`decode` keeps per image, best first, whatever their confidence (COCO's 100 detections)."""


class Targets(NamedTuple):
    """What a batch of images' boxes should give on the head's maps."""

    heatmap: torch.Tensor
    """``(batch, num_classes, h, w)`` in [0, 1]: exactly 1 at each object's centre cell."""
    size: torch.Tensor
    """``(batch, 2, h, w)``: box width and height (fractions of the image) at centre cells, else 0."""
    offset: torch.Tensor
    """``(batch, 2, h, w)``: the centre's x and y within its cell (0 to 1) at centre cells, else 0."""
    mask: torch.Tensor
    """``(batch, h, w)`` float: 1 at centre cells, else 0."""


class Candidates(NamedTuple):
    """Decoded boxes, one array per image, best first."""

    boxes: list
    """``(n_i, 4)`` xyxy normalised to [0, 1], clipped to the image."""
    class_probabilities: list
    """``(n_i, num_classes)``, rows sum to 1."""
    confidences: list
    """``(n_i,)`` in [0, 1]: the peak's highest class heatmap value."""


def gaussian_radius(height, width, min_overlap=MIN_OVERLAP):
    """The Gaussian radius, in cells, of a box of ``height`` by ``width`` cells, as CenterNet's
    ``gaussian_radius`` computes it (the least of its three quadratic roots, as published; for a
    square box the third, about 0.27 times the side, wins)."""
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def encode(boxes, classes, num_classes, map_size):
    """The :class:`Targets` of a batch.

    Args:
        boxes: per image, xyxy ``(n_i, 4)`` normalised to [0, 1]; ``n_i`` may be 0.
        classes: per image, class indices ``(n_i,)``.
        num_classes: heatmap channels.
        map_size: ``(h, w)`` of the head's maps.

    Two objects whose centres share a cell share its size and offset: the last one's.
    """
    h, w = map_size
    batch = len(boxes)
    heatmap = torch.zeros(batch * num_classes, h * w)
    size = torch.zeros(batch, 2, h, w)
    offset = torch.zeros(batch, 2, h, w)
    mask = torch.zeros(batch, h, w)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing='ij')
    for image, (image_boxes, image_classes) in enumerate(zip(boxes, classes)):
        for (x1, y1, x2, y2), label in zip(np.asarray(image_boxes, dtype=np.float64).reshape(-1, 4).tolist(),
                                           np.asarray(image_classes).reshape(-1).tolist()):
            cx, cy = (x1 + x2) / 2 * w, (y1 + y2) / 2 * h
            col, row = min(int(cx), w - 1), min(int(cy), h - 1)
            radius = max(0, int(gaussian_radius((y2 - y1) * h, (x2 - x1) * w)))
            sigma = (2 * radius + 1) / 6
            dx, dy = xs - col, ys - row
            window = (dx.abs() <= radius) & (dy.abs() <= radius)
            gaussian = torch.exp(-(dx ** 2 + dy ** 2) / (2 * sigma ** 2)) * window
            channel = image * num_classes + int(label)
            heatmap[channel] = torch.maximum(heatmap[channel], gaussian.reshape(-1))
            size[image, :, row, col] = torch.tensor([x2 - x1, y2 - y1])
            offset[image, :, row, col] = torch.tensor([cx - col, cy - row])
            mask[image, row, col] = 1.0
    return Targets(heatmap.reshape(batch, num_classes, h, w), size, offset, mask)


class CenterNetLoss(nn.Module):
    """Penalty-reduced focal loss of the heatmap plus weighted L1 losses of sizes and offsets at centre
    cells, each summed over the batch and divided by its number of objects (CenterNet's).

    The focal loss of a cell of heatmap probability ``p`` and target ``t`` is
    ``-(1 - p)^2 log p`` where ``t = 1``, else ``-(1 - t)^4 p^2 log(1 - p)``:
    cells near a centre are punished less for firing. An image without
    objects contributes only that second term.
    """

    def __init__(self, size_weight=SIZE_WEIGHT, offset_weight=OFFSET_WEIGHT):
        super().__init__()
        self.size_weight = size_weight
        self.offset_weight = offset_weight

    def forward(self, outputs, targets):
        """A scalar loss from the head's ``(heatmap logits, sizes, offsets)`` and :class:`Targets`."""
        logits, size, offset = outputs
        p = torch.sigmoid(logits)
        positive = (targets.heatmap == 1).float()
        focal = -(positive * (1 - p) ** 2 * F.logsigmoid(logits)
                  + (1 - positive) * (1 - targets.heatmap) ** 4 * p ** 2 * F.logsigmoid(-logits)).sum()
        mask = targets.mask.unsqueeze(1)
        objects = targets.mask.sum().clamp(min=1)
        size_l1 = ((size - targets.size).abs() * mask).sum() / (2 * objects)
        offset_l1 = ((offset - targets.offset).abs() * mask).sum() / (2 * objects)
        return focal / objects + self.size_weight * size_l1 + self.offset_weight * offset_l1


def decode(heatmap, size, offset, top_k=TOP_K):
    """The :class:`Candidates` of a batch: the ``top_k`` highest peaks of each image's heatmap.

    A peak is a cell whose highest class value is the highest of its 3x3
    neighbourhood (CenterNet's max-pool suppression), over all classes at
    once: one box per place, carrying a distribution over the classes. Its
    class probabilities are the per-class heatmap values there divided by
    their sum (uniform where they are all 0); its confidence is the highest
    of them. Peaks of any confidence are kept, so that the strategies see
    an image's best guesses even when none reaches the detection threshold.

    Args:
        heatmap: ``(batch, num_classes, h, w)`` probabilities (the sigmoid of the head's logits).
        size: ``(batch, 2, h, w)`` widths and heights, fractions of the image (negative ones count as 0).
        offset: ``(batch, 2, h, w)`` centre offsets within the cell, in cells.
    """
    batch, num_classes, h, w = heatmap.shape
    best = heatmap.amax(dim=1)
    peak = best == F.max_pool2d(best.unsqueeze(1), 3, stride=1, padding=1).squeeze(1)
    # A stable sort rather than topk: equal peaks keep the map's order, so decoding is deterministic.
    values, index = torch.sort(torch.where(peak, best, -1.0).reshape(batch, -1), dim=1, descending=True,
                               stable=True)
    values, index = values[:, :top_k], index[:, :top_k]
    boxes, probabilities, confidences = [], [], []
    for image in range(batch):
        cells = index[image][values[image] >= 0]
        rows, cols = cells // w, cells % w
        scores = heatmap[image][:, rows, cols].T
        total = scores.sum(dim=1, keepdim=True)
        probabilities.append(torch.where(total > 0, scores / total.clamp(min=torch.finfo(total.dtype).tiny),
                                         1.0 / num_classes).cpu().numpy())
        cx = (cols + offset[image, 0, rows, cols]) / w
        cy = (rows + offset[image, 1, rows, cols]) / h
        half_w = size[image, 0, rows, cols].clamp(min=0) / 2
        half_h = size[image, 1, rows, cols].clamp(min=0) / 2
        boxes.append(torch.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], dim=1)
                     .clamp(0, 1).cpu().numpy())
        confidences.append(values[image][values[image] >= 0].cpu().numpy())
    return Candidates(boxes, probabilities, confidences)
