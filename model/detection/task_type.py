"""Object detection: one ``<RectangleLabels>`` over one ``<Image>``.

Examples are ``{"task", "image", "boxes": [[x, y, width, height, label], ...], "dropped", "clipped"}``
with boxes in percent of the image as Label Studio shows it (EXIF orientation applied), so they do not
depend on the size the model reads. Rules for the boxes of an annotation, in order:

- a label that is not in the config, or a box without numeric ``x, y, width, height``: the annotation
  is refused (422), naming the region;
- ``rotation`` other than 0: the box becomes its axis-aligned bounding box (the turn is done in pixels
  of ``original_width`` by ``original_height``; a rotated box without them is refused);
- a box reaching outside the image is clipped to it (counted as ``clipped``);
- a box narrower or lower than 0.1 % of the image once clipped (zero or negative size, wholly outside)
  is dropped (counted as ``dropped``).

An annotation without boxes is an image with nothing to find: a valid example.
"""
from dataclasses import dataclass

import numpy as np
import torch

from model.detection.boxes import clip_percent, region_percent
from model.detection.label_issues import box_label_issues
from model.detection.metrics import detection_metrics, matched_f1
from model.detection.predictor import DetectionPredictor
from model.detection.training import OBJECT_DETECTION, fine_tune_detector
from model.device import CPU
from model.image_classification import default_image_model, image_embedder
from model.images import ImageInput
from model.label_config import LabelConfigError, image_field, label_values
from model.task_type import AnnotationRejected, TaskType, relabel_one
from strategies import DETECTION_STRATEGIES, DETECTION_THRESHOLD


def _corners(boxes):
    """``(n, 4)`` float array of the corners of ``(x1, y1, x2, y2, label, ...)`` boxes."""
    return np.array([box[:4] for box in boxes], dtype=np.float32).reshape(-1, 4)


def _labels(boxes):
    return [box[4] for box in boxes]


def _fraction(value):
    """A number in (0, 1] from JSON or an environment variable's text."""
    try:
        number = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    except (ValueError, OverflowError):
        number = None
    if number is None or not 0.0 < number <= 1.0:
        raise ValueError(f'expected a number in (0, 1], got {value!r}')
    return number


def _box_count(value):
    """An integer from 1 to 1000 from JSON or an environment variable's text."""
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 1000:
        raise ValueError(f'expected an integer from 1 to 1000, got {value!r}')
    return number


KEPT_CONFIDENCE = 0.05
"""Boxes of a pool task kept until it is labeled (its out-of-sample output) need this confidence."""

KEPT_BOXES = 30
"""Most boxes kept per pool task."""


@dataclass(frozen=True)
class ObjectDetection(ImageInput, TaskType):
    """RectangleLabels over an image.

    Attributes:
        box_threshold: the confidence a box needs to be pre-annotated (``BOX_THRESHOLD``).
        max_boxes: the most boxes pre-annotated on one image (``MAX_BOXES``).
    """

    box_threshold: float = DETECTION_THRESHOLD
    max_boxes: int = 100

    NAME = OBJECT_DETECTION
    MODEL = DetectionPredictor
    CONTROL = 'RectangleLabels'
    OBJECT = 'Image'
    STRATEGIES = DETECTION_STRATEGIES
    DEFAULT_STRATEGY = 'least_confidence'
    OPTIONS = {'box_threshold': _fraction, 'max_boxes': _box_count}
    METRIC = 'map_50'
    HELD_OUT_GAUGES = {'map_50': 'map_50', 'map': 'map'}
    PER_LABEL_GAUGES = {
        'label_ap_50': ('per_class_50', 'label', 'Held-out AP at IoU 0.5 of each label for the current version.')}
    AGREEMENT = 'matched_box_f1'
    TARGET = 'boxes'
    FINDS_LABEL_ISSUES = True
    FLIPS_LABELS = True
    CURVE_METRICS = ('map_50', 'map')
    BASE_MODEL = 'detection_model'
    # A fresh CenterNet head needs many steps: on mnist_boxes at 128 px (200 held-out scenes, one seed), 100
    # scenes gave mAP@0.5 0.31 after 150 steps at these rates (0.25 at twice or half of them), and 200 scenes
    # 0.25, 0.35, 0.47 after 8, 16, 30 epochs (benchmarks/README.md, "Object detection").
    RECIPE = {'learning_rate': 5e-4, 'head_learning_rate': 5e-3, 'epochs': 20, 'min_steps': 150}

    default_weights = staticmethod(default_image_model)

    @classmethod
    def from_config(cls, config, control):
        target = config.target(control, cls.OBJECT)
        if control.get('perRegion') == 'true' or control.get('whenTagName'):
            raise LabelConfigError(f'label_config: <RectangleLabels name="{control.get("name")}"> is conditional '
                                   '(perRegion or whenTagName); this backend labels every image')
        return cls(from_name=control.get('name'), to_name=target.get('name'), field=image_field(target),
                   labels=label_values(control, 'Label', 1))

    def to_dict(self):
        return {**super().to_dict(), 'box_threshold': self.box_threshold, 'max_boxes': self.max_boxes}

    def example_from(self, annotation, task, reader):
        if annotation.get('was_cancelled'):
            return None
        image = self.input_of(task, reader)
        reason = self.skip_reason(image, reader)
        if reason:
            raise AnnotationRejected(f'task {task.get("id")}: {reason}')
        result = annotation.get('result') or []
        if not isinstance(result, list):
            raise AnnotationRejected(f'annotation {annotation.get("id")}: result must be a list of regions')
        regions = [r for r in result if isinstance(r, dict) and r.get('from_name') == self.from_name]
        labelled = [self._box(annotation.get('id'), region) for region in regions]
        boxes = clip_percent(torch.stack([box for box, _ in labelled]) if labelled else torch.zeros((0, 4)))
        labels = [label for (_, label), kept in zip(labelled, boxes.kept.tolist()) if kept]
        return {'task': int(task.get('id', annotation.get('task'))), 'image': image,
                'boxes': [[*(round(float(v), 4) for v in box), label] for box, label in zip(boxes.boxes, labels)],
                'dropped': int((~boxes.kept).sum()), 'clipped': int(boxes.clipped.sum())}

    def holds(self, example):
        return 'boxes' in example and 'image' in example

    def untrainable(self, examples):
        if len(examples) < 2:
            return f'{len(examples)} labeled task(s); training needs two'
        if not any(e['boxes'] for e in examples):
            return f'{len(examples)} labeled task(s) without any box; training needs one'
        return None

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        return fine_tune_detector(base_model, [e['pixels'].pixels for e in examples],
                                  [self._normalised(e) for e in examples], list(self.labels), config=training,
                                  runtime=runtime)

    def metrics(self, outputs, examples):
        """mAP@0.5, mAP@[.5:.95] and the AP of each label (COCO's, by faster-coco-eval) over every box found,
        whatever its confidence."""
        truth = [self._normalised(e) for e in examples]
        return detection_metrics([_corners(t) for t in truth], [_labels(t) for t in truth],
                                 [_corners(o) for o in outputs], [_labels(o) for o in outputs],
                                 [[box[5] for box in o] for o in outputs])

    def score(self, predictor, images, acquisition, rng):
        """Scores an image from its detections that clear :attr:`box_threshold` (below it, from its best
        candidate's confidence over the threshold)."""
        return acquisition.score(predictor, images, rng, threshold=self.box_threshold)

    def predict(self, predictor, images, acquisition, rng):
        """Pre-annotates the boxes that clear :attr:`box_threshold`; outputs as :meth:`outputs`."""
        inference, scores = self.score(predictor, images, acquisition, rng)
        found = self._found(predictor, inference)
        results = [[self._region(image, box) for box in self._confident(boxes)] for image, boxes in zip(images, found)]
        return results, scores, found

    def outputs(self, predictor, images):
        """Every box found on each image, however unsure, up to :attr:`max_boxes`: ``(x1, y1, x2, y2, label,
        score)`` normalised, so that mAP ranks them all (held out, and in ``lsal simulate``'s curves)."""
        return self._found(predictor, predictor.infer(images))

    def agreement(self, outputs, other):
        """The mean over images of the F1 of the boxes pre-annotated (those that clear :attr:`box_threshold`),
        matched by label at IoU 0.5 (1 where both found nothing)."""
        f1 = []
        for mine, theirs in zip(outputs, other):
            mine, theirs = self._confident(mine), self._confident(theirs)
            f1.append(matched_f1(_corners(mine), _labels(mine), _corners(theirs), _labels(theirs)))
        return float(np.mean(f1)) if f1 else float('nan')

    def label_issues(self, outputs, examples):
        """cleanlab's object-detection quality per image (:func:`~model.detection.label_issues.box_label_issues`)
        from the boxes given and every box an out-of-sample model found; it suggests the boxes that clear
        :attr:`box_threshold`."""
        quality, issue = box_label_issues([self._normalised(e) for e in examples], outputs, self.labels)
        suggested = [[self._percent(box) for box in self._confident(output)] for output in outputs]
        return quality, issue, suggested

    def flipped(self, example, rng):
        """One box, drawn uniformly, given another label, drawn uniformly."""
        return {**example, 'boxes': relabel_one(example['boxes'], self.labels, rng)}

    def flippable(self, example):
        """An image with a box, where the config has two labels or more."""
        return bool(example['boxes']) and len(self.labels) > 1

    def reads_output(self, output):
        return isinstance(output, list) and all(len(box) == 6 and box[4] in self.labels for box in output)

    def kept_output(self, output):
        """The :data:`KEPT_BOXES` likeliest boxes with a confidence of :data:`KEPT_CONFIDENCE` or more."""
        return [[*(round(float(v), 4) for v in box[:4]), box[4], round(float(box[5]), 4)]
                for box in output if box[5] >= KEPT_CONFIDENCE][:KEPT_BOXES]

    def training_notes(self, examples):
        return {'num_boxes': sum(len(e['boxes']) for e in examples),
                'boxes_dropped': sum(e.get('dropped', 0) for e in examples),
                'boxes_clipped': sum(e.get('clipped', 0) for e in examples)}

    def pretrained_embedder(self, base_model, training, runtime=CPU):
        embed = image_embedder(base_model, training, runtime)
        return lambda images: embed([image.pixels for image in images])

    def _box(self, annotation_id, region):
        """``(percent x, y, width, height tensor, label)`` of a ``rectanglelabels`` region."""
        where = f'annotation {annotation_id}, region {region.get("id")!r}'
        value = region.get('value') if isinstance(region.get('value'), dict) else {}
        labels = value.get('rectanglelabels')
        if not isinstance(labels, list) or not labels:
            raise AnnotationRejected(f'{where}: value.rectanglelabels must be a non-empty list, got {labels!r}')
        unknown = [label for label in labels if label not in self.labels]
        if unknown:
            raise AnnotationRejected(f'{where}: unknown label(s) {unknown}; <RectangleLabels '
                                     f'name="{self.from_name}"> has {list(self.labels)}')
        try:
            return region_percent(region), labels[0]
        except ValueError as error:
            raise AnnotationRejected(f'{where}: {error}') from None

    def _normalised(self, example):
        """An example's boxes whose label the config still has, as ``(x1, y1, x2, y2, label)`` in [0, 1]."""
        return [(x / 100, y / 100, min((x + w) / 100, 1.0), min((y + h) / 100, 1.0), label)  # x and w rounded apart
                for x, y, w, h, label in example['boxes'] if label in self.labels]

    def _found(self, predictor, inference):
        """Every box of ``inference`` up to :attr:`max_boxes` an image whose label the config still has (Label
        Studio drops a whole prediction with another)."""
        found = predictor.detections(inference, 0.0, self.max_boxes)
        return [[box for box in boxes if box[4] in self.labels] for boxes in found]

    @staticmethod
    def _percent(box):
        """A normalised ``(x1, y1, x2, y2, label, ...)`` box as ``[x, y, width, height, label]`` in percent of
        the image, clipped to it (an example's boxes, and a result item's value)."""
        x1, y1, x2, y2 = (min(max(v * 100, 0.0), 100.0) for v in box[:4])
        return [round(x1, 4), round(y1, 4), round(x2 - x1, 4), round(y2 - y1, 4), box[4]]

    def _confident(self, boxes):
        """The boxes that clear :attr:`box_threshold`."""
        return [box for box in boxes if box[5] >= self.box_threshold]

    def _region(self, image, box):
        """A Label Studio ``rectanglelabels`` result item for a normalised ``(x1, y1, x2, y2, label, score)``."""
        x, y, width, height, label = self._percent(box)
        return {'from_name': self.from_name, 'to_name': self.to_name, 'type': 'rectanglelabels',
                'original_width': image.width, 'original_height': image.height, 'image_rotation': 0,
                'value': {'x': x, 'y': y, 'width': width, 'height': height, 'rotation': 0,
                          'rectanglelabels': [label]},
                'score': round(float(box[5]), 4)}
