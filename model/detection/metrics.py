"""Held-out detection metrics (COCO mAP by faster-coco-eval) and the agreement of two box sets."""
import logging

import numpy as np
from faster_coco_eval import COCO, COCOeval_faster

from model.detection.boxes import box_iou

logger = logging.getLogger(__name__)

MATCH_IOU = 0.5
"""Two boxes of one label match when their IoU is at least this (:func:`matched_f1`)."""


def detection_metrics(true_boxes, true_labels, pred_boxes, pred_labels, pred_scores):
    """COCO mAP@0.5, mAP@[.5:.95] and the AP of each class over a set of images.

    Args:
        true_boxes: one xyxy array ``(n_i, 4)`` per image. Any unit (pixels or
            normalised) does, the same for the truth and the predictions of an
            image: IoU, hence every score here, does not depend on it.
        true_labels: one sequence of ``n_i`` label names per image.
        pred_boxes: one xyxy array ``(m_i, 4)`` per image.
        pred_labels: one sequence of ``m_i`` label names per image.
        pred_scores: one array ``(m_i,)`` of confidences per image.

    Returns:
        ``map`` (AP averaged over IoU 0.50:0.05:0.95 and over classes), ``map_50``
        (AP at IoU 0.5), ``per_class`` and ``per_class_50`` (the AP of each
        label name that occurs in either argument), ``num_eval`` (images) and
        ``num_boxes`` (true boxes).

    The scores are COCO's (101-point interpolated precision, crowd-free, every
    area; an image counts its 100 best-scored predictions). A class absent
    from the truth has no AP: it is nan in ``per_class`` and left out of
    ``map``, so its false positives cost nothing. Hence with no true box at
    all every score is nan, whatever was predicted; so it is with no image.
    Images without a true box or without a prediction count as usual: their
    predictions are false positives, their true boxes are missed.
    """
    num_images = len(true_boxes)
    for name, arg in (('true_labels', true_labels), ('pred_boxes', pred_boxes),
                      ('pred_labels', pred_labels), ('pred_scores', pred_scores)):
        if len(arg) != num_images:
            raise ValueError(f'{name}: expected {num_images} images, got {len(arg)}')
    names = sorted({str(name) for labels in (*true_labels, *pred_labels) for name in labels})
    truth = _coco(names, true_boxes, true_labels)
    predictions = _coco(names, pred_boxes, pred_labels, pred_scores, arg='pred_boxes')
    num_boxes = len(truth.dataset['annotations'])
    nan = float('nan')
    result = {'map': nan, 'map_50': nan, 'per_class': dict.fromkeys(names, nan),
              'per_class_50': dict.fromkeys(names, nan), 'num_eval': num_images, 'num_boxes': num_boxes}
    if not num_boxes:
        return result
    evaluation = COCOeval_faster(truth, predictions, 'bbox', print_function=logger.debug)
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    result['map'], result['map_50'] = float(evaluation.stats[0]), float(evaluation.stats[1])
    # precision is (iou thresholds, recall points, classes, areas, max detections), -1 where a
    # class has no true box; area 0 is 'all' and the last max detections is 100, as in stats.
    precision = evaluation.eval['precision'][:, :, :, 0, -1]
    for k, name in enumerate(names):
        result['per_class'][name] = _mean_defined(precision[:, :, k])
        result['per_class_50'][name] = _mean_defined(precision[0, :, k])
    return result


def matched_f1(boxes_a, labels_a, boxes_b, labels_b, iou=MATCH_IOU):
    """F1 of two box sets of one image, matching boxes of the same label with an IoU of at least ``iou``.

    Pairs are matched greedily, highest IoU first, each box at most once; the F1
    is ``2 * matches / (len(boxes_a) + len(boxes_b))``. Swapping the sides gives
    the same score (short of exactly tied IoUs), so it measures the agreement of
    two model versions. Two empty sets agree: 1.0.

    Args:
        boxes_a: xyxy ``(n, 4)``, in the same unit as ``boxes_b``.
        labels_a: ``n`` label names.
        boxes_b: xyxy ``(m, 4)``.
        labels_b: ``m`` label names.
    """
    labels_a, labels_b = np.asarray(labels_a, dtype=object), np.asarray(labels_b, dtype=object)
    overlap = box_iou(boxes_a, boxes_b).numpy()
    for name, boxes, labels in (('labels_a', overlap.shape[0], labels_a), ('labels_b', overlap.shape[1], labels_b)):
        if len(labels) != boxes:
            raise ValueError(f'{name}: expected {boxes} labels, got {len(labels)}')
    if not overlap.size:
        return 1.0 if overlap.shape == (0, 0) else 0.0
    overlap[(labels_a[:, None] != labels_b[None, :]) | (overlap < iou)] = -1
    used_a, used_b = set(), set()
    for flat in np.argsort(-overlap, axis=None, kind='stable'):
        i, j = divmod(int(flat), overlap.shape[1])
        if overlap[i, j] < 0:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
    return 2 * len(used_a) / sum(overlap.shape)


def _coco(names, boxes, labels, scores=None, arg='true_boxes'):
    """A COCO dataset of one image per item of ``boxes``, category ``k + 1`` for ``names[k]``.

    xyxy boxes become COCO's ``x, y, width, height``; ``scores`` makes it a set of detections.
    """
    category = {name: k + 1 for k, name in enumerate(names)}
    annotations = []
    for image, image_boxes in enumerate(boxes):
        image_boxes = np.asarray(image_boxes, dtype=float).reshape(-1, 4)
        image_labels = [category[str(name)] for name in labels[image]]
        image_scores = None if scores is None else np.asarray(scores[image], dtype=float).reshape(-1)
        if len(image_labels) != len(image_boxes) or (scores is not None and len(image_scores) != len(image_boxes)):
            raise ValueError(f'{arg}: image {image} has {len(image_boxes)} boxes but {len(image_labels)} labels'
                             + ('' if scores is None else f' and {len(image_scores)} scores'))
        for k, ((x1, y1, x2, y2), label) in enumerate(zip(image_boxes.tolist(), image_labels)):
            annotation = {'id': len(annotations) + 1, 'image_id': image + 1, 'category_id': label,
                          'bbox': [x1, y1, x2 - x1, y2 - y1], 'area': (x2 - x1) * (y2 - y1), 'iscrowd': 0}
            if scores is not None:
                annotation['score'] = float(image_scores[k])
            annotations.append(annotation)
    dataset = COCO(print_function=logger.debug)
    dataset.dataset = {'images': [{'id': image + 1} for image in range(len(boxes))],
                       'categories': [{'id': k} for k in category.values()], 'annotations': annotations}
    dataset.createIndex()
    return dataset


def _mean_defined(precision):
    """The mean of the entries of ``precision`` that are not -1 (COCO's mark of no true box), else nan."""
    defined = precision[precision > -1]
    return float(defined.mean()) if defined.size else float('nan')
