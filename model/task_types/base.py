"""What every task type shares: one control over one data object of a labeling config."""
from abc import ABC, abstractmethod
from dataclasses import dataclass

from model.acquisition import cold_start_scores
from model.device import CPU
from model.training import TrainingConfig


class AnnotationRejected(ValueError):
    """An annotation that cannot become a training example; the message says why."""


@dataclass(frozen=True)
class TaskType(ABC):
    """One control tag (``from_name``) labeling one object tag (``to_name``) that shows ``data[field]``.

    A subclass is a task type: it names the tags it serves (``CONTROL`` over
    ``OBJECT``), reads annotations into training examples, fine-tunes and
    evaluates its model, and turns the model's outputs into Label Studio
    ``result`` items and scores. Callers never branch on the type.

    Attributes:
        from_name: the ``name`` of the control tag.
        to_name: the ``name`` of the object tag it labels.
        field: the task data key the object shows (``$text`` -> ``text``).
        labels: the label values, in config order.
    """

    from_name: str
    to_name: str
    field: str
    labels: tuple

    NAME = ''
    """The type's name in ``/versions`` and version manifests."""

    CONTROL = ''
    """The control tag it serves."""

    OBJECT = ''
    """The object tag that control must point at."""

    STRATEGIES = ()
    """The strategy names it can score with."""

    METRIC = ''
    """The held-out metric that sums up a version (a key of :meth:`evaluate`'s answer)."""

    AGREEMENT = ''
    """What :meth:`agreement` measures, as ``/versions`` names it."""

    CURVE_METRICS = ()
    """The metrics ``lsal simulate`` records per round, :attr:`METRIC` first."""

    RECIPE = {}
    """Fine-tuning hyper-parameters that differ from :class:`~model.training.TrainingConfig`'s defaults."""

    @classmethod
    @abstractmethod
    def from_config(cls, config, control):
        """The type for ``control`` (an element of ``config``, a :class:`LabelConfig`)."""

    @classmethod
    def training_config(cls, **settings):
        """The :class:`~model.training.TrainingConfig` of :attr:`RECIPE`, with the ``settings`` not None."""
        return TrainingConfig(**{**cls.RECIPE, **{k: v for k, v in settings.items() if v is not None}})

    def to_dict(self):
        return {'type': self.NAME, 'from_name': self.from_name, 'to_name': self.to_name, 'field': self.field,
                'labels': list(self.labels)}

    def input_of(self, task, max_chars):
        """The text a task shows in the configured field.

        Raises:
            AnnotationRejected: the field is missing or not a string.
        """
        data = task.get('data') if isinstance(task, dict) else None
        value = data.get(self.field) if isinstance(data, dict) else None
        if not isinstance(value, str):
            task_id = task.get('id') if isinstance(task, dict) else None
            raise AnnotationRejected(f'task {task_id}: data.{self.field} is missing or not text '
                                     f'(the <{self.OBJECT}> tag shows ${self.field})')
        return value

    def skip_reason(self, text, max_chars):
        """Why a task with ``text`` gets no prediction (it is scored last), or None."""
        return f'data.{self.field} is empty' if not text.strip() else None

    @abstractmethod
    def example_from(self, annotation, task, max_chars):
        """The training example (a JSON dict with ``task`` and ``text``) of an annotation, or None.

        Skipped (cancelled) annotations give None: they are not training data.

        Raises:
            AnnotationRejected: a label that is not in the config, or an
                annotation that cannot be read; the message says which.
        """

    @abstractmethod
    def holds(self, example):
        """Whether a stored example is one of this type's (the config may have changed type since)."""

    @abstractmethod
    def untrainable(self, examples):
        """Why ``examples`` cannot train a model yet, or None."""

    @abstractmethod
    def fine_tune(self, base_model, examples, training, runtime=CPU):
        """A predictor fine-tuned on ``examples`` with the :class:`~model.TrainingConfig` ``training``, on the
        :class:`~model.device.Runtime` ``runtime``."""

    def evaluate(self, predictor, examples):
        """Held-out metrics of ``predictor`` on ``examples`` (a JSON dict holding :attr:`METRIC`)."""
        return self.metrics(self.outputs(predictor, [e['text'] for e in examples]), examples)

    @abstractmethod
    def metrics(self, outputs, examples):
        """Metrics of :meth:`outputs` against the labels of the same ``examples``."""

    @abstractmethod
    def predict(self, predictor, texts, acquisition, rng):
        """Pre-annotations, scores and comparable outputs for ``texts``.

        Returns:
            ``(results, scores, outputs)``: a Label Studio ``result`` list per
            text, an array of shape ``(len(texts),)`` (lower = label first), and
            per text what :meth:`agreement` compares between versions.
        """

    @abstractmethod
    def outputs(self, predictor, texts):
        """What :meth:`predict` returns as ``outputs``, without scoring."""

    @abstractmethod
    def agreement(self, outputs, other):
        """How much two versions' outputs on the same texts agree, in ``[-1, 1]`` (1: identical)."""

    def training_notes(self, examples):
        """Counts about the training data worth a line in the version summary (JSON dict)."""
        return {}

    def cold_start_scores(self, base_model, texts, n, rng, max_length, runtime=CPU):
        """Scores before any label: ``n`` representative texts first (pretrained-encoder embeddings)."""
        return cold_start_scores(base_model, texts, n, rng, max_length, runtime)
