"""Turn Label Studio annotations into labeled examples."""
from dataclasses import dataclass


class AnnotationRejected(ValueError):
    """An annotation that cannot become a training example; the message says why."""


@dataclass(frozen=True)
class Example:
    """A labeled text: what one annotation teaches the model."""

    task: int
    text: str
    choices: tuple

    def to_dict(self):
        return {'task': self.task, 'text': self.text, 'choices': list(self.choices)}


def task_text(task, config, max_chars):
    """The text a task shows in the configured field, cut at ``max_chars`` characters.

    Raises:
        AnnotationRejected: the field is missing or not a string.
    """
    data = task.get('data') if isinstance(task, dict) else None
    value = data.get(config.field) if isinstance(data, dict) else None
    if not isinstance(value, str):
        task_id = task.get('id') if isinstance(task, dict) else None
        raise AnnotationRejected(f'task {task_id}: data.{config.field} is missing or not text '
                                 f'(the <Text> tag shows ${config.field})')
    return value[:max_chars]


def example_from(annotation, task, config, max_chars):
    """The :class:`Example` an annotation gives, or None when it teaches nothing.

    Skipped (cancelled) annotations and annotations without a choice for the
    configured control give None: they are not training data.

    Raises:
        AnnotationRejected: a choice that is not a label of the config, a
            single-choice control with several choices, or a task without text.
    """
    if annotation.get('was_cancelled'):
        return None
    choices = config.choices_of(annotation.get('result'))
    if not choices:
        return None
    unknown = [c for c in choices if c not in config.labels]
    if unknown:
        raise AnnotationRejected(f'annotation {annotation.get("id")}: unknown label(s) {unknown}; '
                                 f'<Choices name="{config.from_name}"> has {list(config.labels)}')
    if not config.multi_label and len(choices) != 1:
        raise AnnotationRejected(f'annotation {annotation.get("id")}: {len(choices)} choices for the '
                                 f'single-choice <Choices name="{config.from_name}">')
    text = task_text(task, config, max_chars)
    if not text.strip():
        raise AnnotationRejected(f'task {task.get("id")}: data.{config.field} is empty')
    return Example(task=int(task.get('id', annotation.get('task'))), text=text, choices=tuple(choices))
