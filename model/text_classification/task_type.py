"""Text classification: one ``<Choices>`` over one ``<Text>``, or over a dialogue (``<Paragraphs>``, ``<Chat>``)."""
from dataclasses import dataclass, replace

from model.classification import Classification
from model.device import CPU
from model.label_config import inline_text_field, task_field
from model.task_type import AnnotationRejected
from model.text_classification.predictor import TextPredictor
from model.text_classification.training import TEXT_CLASSIFICATION, fine_tune
from model.transformer import default_text_model, text_embedder


@dataclass(frozen=True)
class TextClassification(Classification):
    """Choices over a text. Examples are ``{"task", "text", "choices"}``."""

    NAME = TEXT_CLASSIFICATION
    MODEL = TextPredictor
    OBJECT = 'Text'
    # From 10 to 40 labels, one step per label (at least 24) took half the time of 64 steps for about
    # one accuracy point less (up to 2.7 on BBC News): the first versions come sooner, and each is
    # replaced ten labels later (benchmarks/README.md, "Training recipe").
    RECIPE = {'few_labels_min_steps': 24}

    field_of = staticmethod(inline_text_field)
    default_weights = staticmethod(default_text_model)
    pretrained_embedder = staticmethod(text_embedder)

    def input_of(self, task, reader):
        """The task's text, cut at ``reader.max_chars`` characters (the model reads far fewer tokens)."""
        return super().input_of(task, reader)[:reader.max_chars]

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        return fine_tune(base_model, [e['text'] for e in examples], [e['choices'] for e in examples],
                         list(self.labels), multi_label=self.multi_label, config=training, runtime=runtime)


@dataclass(frozen=True)
class DialogueClassification(TextClassification):
    """Choices over a dialogue shown as ``<Paragraphs>``: the model reads its utterances in order, one line
    each, ``<speaker>: <text>`` (the ``nameKey`` and ``textKey`` of each item, ``author`` and ``text`` unless
    the tag names others; an utterance without a speaker is its text alone).

    Attributes:
        name_key: the key of an utterance's speaker.
        text_key: the key of its text.
    """

    name_key: str = 'author'
    text_key: str = 'text'

    OBJECT = 'Paragraphs'

    field_of = staticmethod(task_field)

    @classmethod
    def from_config(cls, config, control):
        target = config.target(control, cls.OBJECT)
        return replace(super().from_config(config, control), name_key=target.get('nameKey', cls.name_key),
                       text_key=target.get('textKey', cls.text_key))

    def to_dict(self):
        return {**super().to_dict(), 'name_key': self.name_key, 'text_key': self.text_key}

    def input_of(self, task, reader):
        """The dialogue as text, cut at ``reader.max_chars`` characters.

        Raises:
            AnnotationRejected: the field is missing or not a list of utterances (objects).
        """
        data = task.get('data') if isinstance(task, dict) else None
        utterances = data.get(self.field) if isinstance(data, dict) else None
        if not isinstance(utterances, list) or not all(isinstance(u, dict) for u in utterances):
            task_id = task.get('id') if isinstance(task, dict) else None
            raise AnnotationRejected(f'task {task_id}: data.{self.field} is missing or not a list of utterances '
                                     f'(the <{self.OBJECT}> tag shows ${self.field})')
        lines = []
        for utterance in utterances:
            speaker, text = utterance.get(self.name_key), utterance.get(self.text_key)
            text = text if isinstance(text, str) else ''
            lines.append(f'{speaker}: {text}' if isinstance(speaker, str) and speaker else text)
        return '\n'.join(lines)[:reader.max_chars]


@dataclass(frozen=True)
class ChatClassification(DialogueClassification):
    """Choices over a ``<Chat>``: its messages read as lines of ``<role>: <content>``."""

    name_key: str = 'role'
    text_key: str = 'content'

    OBJECT = 'Chat'
