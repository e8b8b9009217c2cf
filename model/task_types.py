"""The registry of task types: the only place that lists them all. A config is served by the type whose tags
it holds; the store, the settings and the metrics read what they need from the types' declarations."""
import functools

from model.detection import ObjectDetection
from model.exceptions import ModelNotFoundError
from model.image_classification import ImageClassification
from model.label_config import LabelConfig, LabelConfigError
from model.spans import SpanLabeling
from model.task_type import AnnotationRejected, Reader, TaskType
from model.text_classification import TextClassification

TASK_TYPES = (TextClassification, SpanLabeling, ImageClassification, ObjectDetection)
"""Every task type; a config is served by the one whose control and object tags it holds."""

STRATEGY_NAMES = tuple(dict.fromkeys(name for task_type in TASK_TYPES for name in task_type.STRATEGIES))
"""Every strategy some task type scores with (``STRATEGY`` may name any; ``/setup`` checks the project's)."""

WEIGHT_SETTINGS = {task_type.BASE_MODEL: task_type.default_weights for task_type in TASK_TYPES}
"""Setting name (``BASE_MODEL``, ``IMAGE_MODEL``, ...) -> the function giving its default pretrained model."""

HELD_OUT_GAUGES = {name: key for task_type in TASK_TYPES for name, key in task_type.HELD_OUT_GAUGES.items()}
"""Gauge name (``lsal_model_<name>``) -> key of a version's held-out metrics, over every type."""

OPTIONS = {name: parse for task_type in TASK_TYPES for name, parse in task_type.OPTIONS.items()}
"""Every task type's options (:attr:`~model.task_type.TaskType.OPTIONS`): name -> parser."""

PER_LABEL_GAUGES = {name: spec for task_type in TASK_TYPES for name, spec in task_type.PER_LABEL_GAUGES.items()}
"""Gauge name -> ``(metric key, label name, documentation)`` of the metrics given per label, over every type."""


def model_class(kind):
    """The :class:`~model.contracts.LoadedModel` class that saves and loads versions of ``kind``.

    Raises:
        ModelNotFoundError: no task type trains versions of ``kind``.
    """
    for task_type in TASK_TYPES:
        if task_type.NAME == kind:
            return task_type.MODEL
    raise ModelNotFoundError(f'kind: no task type loads versions of kind {kind!r}; '
                             f'known: {", ".join(t.NAME for t in TASK_TYPES)}')


def _served():
    return ' or '.join(f'one <{t.CONTROL}> over one <{t.OBJECT}>' for t in TASK_TYPES)


@functools.lru_cache(maxsize=64)
def parse_label_config(xml):
    """The :class:`TaskType` instance that serves a labeling config.

    Raises:
        LabelConfigError: the XML does not parse, is too large, or does not hold
            exactly one served control over its object (the message names the tags).
    """
    config = LabelConfig(xml)
    controls = {t.CONTROL for t in TASK_TYPES}
    objects = {t.OBJECT for t in TASK_TYPES}
    unsupported = sorted({e.tag for e in config.controls if e.tag not in controls}
                         | {e.tag for e in config.objects if e.tag not in objects})
    if unsupported:
        raise LabelConfigError(f'label_config: unsupported tag(s) {", ".join(unsupported)}; '
                               f'this backend serves {_served()}')
    if len(config.controls) != 1:
        found = ', '.join(f'<{e.tag} name="{e.get("name")}">' for e in config.controls) or 'none'
        raise LabelConfigError(f'label_config: expected exactly one control tag ({_served()}), found {found}')
    control = config.controls[0]
    target = next((e for e in config.objects if e.get('name') == control.get('toName')), None)
    served = [t for t in TASK_TYPES if t.CONTROL == control.tag]
    task_type = next((t for t in served if target is not None and t.OBJECT == target.tag), served[0])
    return task_type.from_config(config, control)


__all__ = ['HELD_OUT_GAUGES', 'OPTIONS', 'PER_LABEL_GAUGES', 'STRATEGY_NAMES', 'TASK_TYPES', 'WEIGHT_SETTINGS',
           'AnnotationRejected', 'ImageClassification', 'LabelConfigError', 'ObjectDetection', 'Reader',
           'SpanLabeling', 'TaskType',
           'TextClassification', 'model_class', 'parse_label_config']
