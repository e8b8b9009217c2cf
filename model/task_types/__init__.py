"""Task types: what a labeling config asks for, chosen from its tags (see :class:`TaskType`)."""
import functools

from model.task_types.base import AnnotationRejected, Reader, TaskType
from model.task_types.image_classification import ImageClassification
from model.task_types.label_config import LabelConfig, LabelConfigError
from model.task_types.spans import SpanLabeling
from model.task_types.text_classification import TextClassification

TASK_TYPES = (TextClassification, SpanLabeling, ImageClassification)
"""Every task type; a config is served by the one whose control and object tags it holds."""

STRATEGY_NAMES = tuple(dict.fromkeys(name for task_type in TASK_TYPES for name in task_type.STRATEGIES))
"""Every strategy some task type scores with (``STRATEGY`` may name any; ``/setup`` checks the project's)."""


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


__all__ = ['STRATEGY_NAMES', 'TASK_TYPES', 'AnnotationRejected', 'ImageClassification', 'LabelConfigError', 'Reader',
           'SpanLabeling', 'TaskType', 'TextClassification', 'parse_label_config']
