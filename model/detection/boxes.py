"""Boxes of Label Studio's RectangleLabels: percent to xyxy and back, rotation, clipping, IoU and NMS.

Label Studio stores a region as ``x, y, width, height`` in percent of the
image's width (``x``, ``width``) and height (``y``, ``height``): ``(x, y)`` is
the top-left corner before rotation. ``rotation`` turns the box by that many
degrees clockwise around that corner, in pixels of the original image
(``original_width`` by ``original_height``), so a rotated box needs the image
size to be mapped back. Here every box has one row: ``(n, 4)`` tensors.
"""
from typing import NamedTuple

import torch

MIN_SIZE_PERCENT = 0.1
"""Boxes narrower or lower than this, in percent of the image side, after clipping, are dropped."""


class Clipped(NamedTuple):
    """Boxes clipped to the image, and which of the input boxes were dropped or changed."""

    boxes: torch.Tensor
    """The kept boxes ``(k, 4)``, clipped, in the input order."""
    kept: torch.Tensor
    """Bool ``(n,)``: the input box is in ``boxes``."""
    clipped: torch.Tensor
    """Bool ``(n,)``: the input box is kept and clipping changed it."""


def percent_to_xyxy(xywh, width, height):
    """Corners ``(n, 4)`` ``x1, y1, x2, y2`` in units where the image is ``width`` by ``height``,
    from Label Studio's ``(n, 4)`` percent ``x, y, width, height``.

    Pass the image's pixel size for pixels, or 1 and 1 for coordinates normalised to [0, 1].
    """
    x, y, w, h = (_rows(xywh) * _scale(width, height)).unbind(-1)
    return torch.stack([x, y, x + w, y + h], dim=-1)


def xyxy_to_percent(boxes, width, height):
    """Label Studio's ``(n, 4)`` percent ``x, y, width, height`` from corners ``(n, 4)`` in units
    where the image is ``width`` by ``height`` (the inverse of :func:`percent_to_xyxy`)."""
    x1, y1, x2, y2 = _rows(boxes).unbind(-1)
    return torch.stack([x1, y1, x2 - x1, y2 - y1], dim=-1) / _scale(width, height)


def rotated_bounds(xywh, rotation, width, height):
    """The axis-aligned bounding boxes ``(n, 4)`` (percent ``x, y, width, height``) of boxes
    ``(n, 4)`` turned by ``rotation`` ``(n,)`` degrees clockwise around their top-left corner.

    The turn is done in pixels of a ``width`` by ``height`` image, as Label Studio
    does: in percent a 90 degree turn of a box on a non-square image would change
    its shape. The result can reach outside the image; :func:`clip_percent` it.
    """
    x, y, w, h = (_rows(xywh) * _scale(width, height)).unbind(-1)
    angle = torch.deg2rad(torch.as_tensor(rotation, dtype=torch.float32))
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Image y points down, so this rotation matrix turns clockwise on screen.
    dx = torch.stack([torch.zeros_like(w), w * cos, w * cos - h * sin, -h * sin], dim=-1)
    dy = torch.stack([torch.zeros_like(w), w * sin, w * sin + h * cos, h * cos], dim=-1)
    corners = torch.stack([x + dx.amin(-1), y + dy.amin(-1), x + dx.amax(-1), y + dy.amax(-1)], dim=-1)
    return xyxy_to_percent(corners, width, height)


def region_percent(result):
    """The axis-aligned box ``(4,)`` (percent ``x, y, width, height``) of one RectangleLabels result.

    ``result`` is an item of an annotation's ``result`` list: a rotated box is
    mapped to its bounding box with the result's ``original_width`` and
    ``original_height``. ``image_rotation`` (the annotator turning the image
    view) is not applied.

    Raises:
        ValueError: ``value`` lacks a coordinate, or a rotated box lacks a
            positive ``original_width`` and ``original_height``.
    """
    value = result.get('value', {})
    missing = [key for key in ('x', 'y', 'width', 'height') if not isinstance(value.get(key), (int, float))]
    if missing:
        raise ValueError(f'result: value has no number {", ".join(missing)}')
    xywh = torch.tensor([[value['x'], value['y'], value['width'], value['height']]], dtype=torch.float32)
    rotation = value.get('rotation') or 0
    if rotation % 360 == 0:
        return xywh[0]
    width, height = result.get('original_width'), result.get('original_height')
    if not (isinstance(width, (int, float)) and isinstance(height, (int, float)) and width > 0 and height > 0):
        raise ValueError(f'result: a box rotated by {rotation} degrees needs original_width and original_height')
    return rotated_bounds(xywh, [rotation], width, height)[0]


def clip_percent(xywh, min_size=MIN_SIZE_PERCENT):
    """Boxes ``(n, 4)`` (percent ``x, y, width, height``) clipped to the image, [0, 100] percent.

    A box whose clipped width or height is below ``min_size`` percent is dropped:
    this covers zero and negative sizes and boxes wholly outside the image.
    Returns a :class:`Clipped`, so the caller can count what was dropped
    (``~kept``) and what was clipped.
    """
    corners = percent_to_xyxy(xywh, 100, 100)
    inside = corners.clamp(0, 100)
    size = inside[:, 2:] - inside[:, :2]
    kept = (size >= min_size).all(dim=-1)
    changed = (inside != corners).any(dim=-1)
    return Clipped(xyxy_to_percent(inside[kept], 100, 100), kept, changed & kept)


def box_iou(boxes_a, boxes_b):
    """Intersection over union ``(n, m)`` of xyxy boxes ``(n, 4)`` and ``(m, 4)``; 0 where both are empty."""
    boxes_a, boxes_b = _rows(boxes_a), _rows(boxes_b)
    area_a = (boxes_a[:, 2:] - boxes_a[:, :2]).clamp(min=0).prod(-1)
    area_b = (boxes_b[:, 2:] - boxes_b[:, :2]).clamp(min=0).prod(-1)
    top_left = torch.maximum(boxes_a[:, None, :2], boxes_b[None, :, :2])
    bottom_right = torch.minimum(boxes_a[:, None, 2:], boxes_b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    # inter <= union, so a zero union gives 0 / tiny = 0, not nan.
    return inter / union.clamp(min=torch.finfo(union.dtype).tiny)


def batched_nms(boxes, scores, labels, iou_threshold, score_threshold=0.0, max_detections=None):
    """Indices ``(k,)`` of the boxes kept by per-class non-maximum suppression, best score first.

    Args:
        boxes: xyxy ``(n, 4)``.
        scores: ``(n,)``; boxes scoring below ``score_threshold`` are dropped first.
        labels: class indices ``(n,)``: a box only suppresses boxes of its class.
        iou_threshold: a box is suppressed by a better-scoring one of its class
            that it overlaps with an IoU above this.
        max_detections: keep at most this many; None: no limit.

    Equal scores keep the input order.
    """
    boxes = _rows(boxes)
    scores = torch.as_tensor(scores, dtype=torch.float32).reshape(-1)
    labels = torch.as_tensor(labels).reshape(-1)
    if not len(scores) == len(labels) == len(boxes):
        raise ValueError(f'scores, labels: expected one per box ({len(boxes)}), got {len(scores)} and {len(labels)}')
    if max_detections is not None and max_detections < 0:
        raise ValueError(f'max_detections: expected None or at least 0, got {max_detections}')
    candidates = torch.nonzero(scores >= score_threshold).reshape(-1)
    order = candidates[torch.sort(scores[candidates], descending=True, stable=True).indices]
    boxes, labels = boxes[order], labels[order]
    limit = len(order) if max_detections is None else max_detections
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for rank in range(len(order)):
        if len(keep) == limit:
            break
        if suppressed[rank]:
            continue
        keep.append(rank)
        # One row of IoU at a time: memory stays O(n) however many boxes come in.
        overlap = box_iou(boxes[rank:rank + 1], boxes)[0] > iou_threshold
        suppressed |= overlap & (labels == labels[rank])
    return order[keep]


def _rows(boxes):
    """``boxes`` as a float tensor ``(n, 4)``."""
    return torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)


def _scale(width, height):
    """Per-column factors ``(4,)`` from percent of a ``width`` by ``height`` image to its units."""
    return torch.tensor([width, height, width, height], dtype=torch.float32) / 100
