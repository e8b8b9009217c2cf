"""The registry of task types: the only place that lists them all. A config is served by the type whose tags
it holds; the store, the settings and the metrics read what they need from the types' declarations."""
import functools
from dataclasses import replace

from model.detection import ObjectDetection
from model.exceptions import ModelNotFoundError
from model.image_classification import ImageClassification
from model.label_config import LabelConfig, LabelConfigError
from model.multi_control import MultiControl
from model.spans import SpanLabeling
from model.task_type import AnnotationRejected, Reader, TaskType
from model.text_classification import ChatClassification, DialogueClassification, TextClassification

TASK_TYPES = (TextClassification, DialogueClassification, ChatClassification, SpanLabeling, ImageClassification,
              ObjectDetection)
"""Every task type; a config is served by the one whose control and object tags it holds."""

STRATEGY_NAMES = tuple(dict.fromkeys(name for task_type in TASK_TYPES for name in task_type.STRATEGIES))
"""Every strategy some task type scores with (``STRATEGY`` may name any; ``/setup`` checks the project's)."""

WEIGHT_SETTINGS = {task_type.BASE_MODEL: task_type.default_weights for task_type in TASK_TYPES}
"""Setting name (``BASE_MODEL``, ``IMAGE_MODEL``, ...) -> the function giving its default pretrained model."""

HELD_OUT_GAUGES = {name: key for task_type in TASK_TYPES for name, key in task_type.HELD_OUT_GAUGES.items()}
"""Gauge name (``lsal_model_<name>``) -> key of a version's held-out metrics, over every type."""

OPTIONS = {name: parse for task_type in (*TASK_TYPES, MultiControl) for name, parse in task_type.OPTIONS.items()}
"""Every task type's options (:attr:`~model.task_type.TaskType.OPTIONS`): name -> parser."""

WHY_NOT_LEARNED = {
    'HyperTextLabels': 'no task type learns <HyperTextLabels>: Label Studio stores its regions as XPath ranges '
                       'into the rendered HTML (start and end node paths with offsets), which this backend does not '
                       'map exactly to the text it reads; <Labels> over a <Text> of the plain text is learned',
}
"""Control tags refused for a reason worth more than "no task type learns it": tag -> the reason."""

PER_LABEL_GAUGES = {name: spec for task_type in TASK_TYPES for name, spec in task_type.PER_LABEL_GAUGES.items()}
"""Gauge name -> ``(metric key, label name, documentation)`` of the metrics given per label, over every type."""


def model_class(kind):
    """The :class:`~model.contracts.LoadedModel` class that saves and loads versions of ``kind``.

    Raises:
        ModelNotFoundError: no task type trains versions of ``kind``.
    """
    for task_type in (*TASK_TYPES, MultiControl):
        if task_type.NAME == kind:
            return task_type.MODEL
    raise ModelNotFoundError(f'kind: no task type loads versions of kind {kind!r}; '
                             f'known: {", ".join(t.NAME for t in TASK_TYPES)}')


def _served():
    return ', '.join(f'<{t.CONTROL}> over <{t.OBJECT}>' for t in TASK_TYPES)


@functools.lru_cache(maxsize=64)
def parse_label_config(xml):
    """The :class:`TaskType` instance that serves a labeling config, with what else it holds as ``ignored``.

    Every control that a task type learns over the object it points at, labeled
    once per task (not ``perRegion``, not shown only when another control has a
    value), is served, if it labels the same object as the first served one (in
    config order). Two or more served controls make a :class:`MultiControl`.
    Every other control, and every object no served control points at, is
    ignored with its reason.

    Raises:
        LabelConfigError: the XML does not parse or is too large, two controls
            share a name, a control points at no object, or no control is
            served (the message names each tag and why).
    """
    config = LabelConfig(xml)
    _check_names(config)
    served, ignored = [], []
    for control in config.controls:
        task_type, reason = _learner(config, control)
        if task_type is not None and served and control.get('toName') != served[0].to_name:
            reason = (f'labels <{config.named(control.get("toName")).tag} name="{control.get("toName")}">; the '
                      f'controls served label one object, <{served[0].OBJECT} name="{served[0].to_name}">')
        elif task_type is not None:
            try:
                served.append(task_type.from_config(config, control))
                continue
            except LabelConfigError as error:
                reason = str(error).removeprefix('label_config: ')
        ignored.append(f'{_named(control)}: {reason}')
    if not served:
        raise LabelConfigError(f'label_config: nothing this backend learns ({_served()}): '
                               f'{"; ".join(ignored) or "no control tag"}')
    ignored += [f'{_named(o)}: no served control labels it' for o in config.objects
                if o.get('name') != served[0].to_name]
    task_type = served[0] if len(served) == 1 else MultiControl.of(served)
    return replace(task_type, ignored=tuple(ignored))


def _check_names(config):
    """Refuse two controls of one name, and a control whose ``toName`` names no object."""
    names = [control.get('name') for control in config.controls if control.get('name')]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise LabelConfigError(f'label_config: two or more controls are named {", ".join(map(repr, duplicates))}')
    for control in config.controls:
        missing = [name for name in (control.get('toName') or '').split(',') if name and name not in config.names]
        if missing:
            raise LabelConfigError(f'label_config: {_named(control)} points toName="{control.get("toName")}", '
                                   f'and no object is named {missing[0]!r}')


def _learner(config, control):
    """``(task type, None)`` for the type that learns ``control`` as a task-level label over the object it
    points at, or ``(None, why not)``."""
    if control.get('perRegion') == 'true':
        return None, 'labels regions (perRegion), not the task'
    if control.get('visibleWhen') or control.get('whenTagName'):
        return None, 'shown only when another control has a value (visibleWhen / whenTagName)'
    if not any(t.CONTROL == control.tag for t in TASK_TYPES):
        return None, WHY_NOT_LEARNED.get(control.tag, f'no task type learns <{control.tag}>')
    if ',' in (control.get('toName') or ''):
        return None, f'labels several objects at once (toName="{control.get("toName")}")'
    target = config.named(control.get('toName'))
    task_type = next((t for t in TASK_TYPES if t.CONTROL == control.tag and target is not None
                      and t.OBJECT == target.tag), None)
    if task_type is None:
        return None, f'no task type learns <{control.tag}> over <{target.tag if target is not None else "?"}>'
    return task_type, None


def _named(element):
    return f'<{element.tag} name="{element.get("name")}">' if element.get('name') else f'<{element.tag}>'



__all__ = ['HELD_OUT_GAUGES', 'OPTIONS', 'PER_LABEL_GAUGES', 'STRATEGY_NAMES', 'TASK_TYPES', 'WEIGHT_SETTINGS',
           'AnnotationRejected', 'ImageClassification', 'LabelConfigError', 'MultiControl', 'ObjectDetection', 'Reader',
           'ChatClassification', 'DialogueClassification', 'SpanLabeling', 'TaskType',
           'TextClassification', 'model_class', 'parse_label_config']
