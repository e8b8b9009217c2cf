"""What every task type shares: one control over one data object of a labeling config."""
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace

from model.consensus import annotator_of
from model.device import CPU
from model.training import TrainingConfig
from strategies import DEFAULT_STRATEGY


class AnnotationRejected(ValueError):
    """An annotation that cannot become a training example; the message says why."""


def relabel_one(regions, labels, rng):
    """A copy of ``regions`` (lists ending with their label) where one, drawn uniformly by the numpy
    Generator ``rng``, has another of ``labels``, drawn uniformly (``lsal simulate``'s label noise)."""
    regions = [list(region) for region in regions]
    region = regions[rng.integers(len(regions))]
    others = [label for label in labels if label != region[-1]]
    region[-1] = others[rng.integers(len(others))]
    return regions


@dataclass(frozen=True)
class Reader:
    """How task data is read.

    Attributes:
        max_chars: the longest text read (``MAX_TEXT_CHARS``).
        fetch: ``fetch(value, task_id)`` gives the local path of a file a task
            names (a URL); None: values are local paths already.
        image_size: the side, in pixels, images are read at (``IMAGE_SIZE``).
        max_image_bytes, max_image_pixels: the largest image file read, in bytes and in pixels.
    """

    max_chars: int = 20000
    fetch: object = None
    image_size: int = TrainingConfig.image_size
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 40_000_000


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
        ignored: what the config holds that this backend does not learn: one line per tag, with the reason
            (not part of the type's identity: a config that adds a TextArea serves the same type).
    """

    from_name: str
    to_name: str
    field: str
    labels: tuple
    ignored: tuple = field(default=(), compare=False)

    NAME = ''
    """The type's name in ``/versions``, and the ``kind`` of its versions' :class:`~model.contracts.ModelCard`."""

    MODEL = None
    """The :class:`~model.contracts.LoadedModel` class of its versions: the store saves and loads them with it."""

    CONTROL = ''
    """The control tag it serves."""

    OBJECT = ''
    """The object tag that control must point at."""

    STRATEGIES = ()
    """The strategy names it can score with."""

    DEFAULT_STRATEGY = DEFAULT_STRATEGY
    """The strategy it scores with where neither the project nor ``STRATEGY`` names one (the one that led
    its benchmark)."""

    METRIC = ''
    """The held-out metric that sums up a version (a key of :meth:`evaluate`'s answer)."""

    HELD_OUT_GAUGES = {}
    """Prometheus gauges of a version's held-out metrics: gauge name (``lsal_model_<name>``) -> metric key."""

    PER_LABEL_GAUGES = {}
    """Gauges of a metric per label: gauge name -> ``(metric key of a {label: value} dict, the label's
    Prometheus name, documentation)``."""

    AGREEMENT = ''
    """What :meth:`agreement` measures, as ``/versions`` names it."""

    CURVE_METRICS = ()
    """The metrics ``lsal simulate`` records per round, :attr:`METRIC` first."""

    OPTIONS = {}
    """Settings of the type that a project may override in its extra params: name -> parser (the value, or a
    ``ValueError`` saying what is expected). Each is a field of the type whose default is the setting's."""

    RECIPE = {}
    """Fine-tuning hyper-parameters that differ from :class:`~model.training.TrainingConfig`'s defaults."""

    BASE_MODEL = 'base_model'
    """The setting that names the pretrained model it fine-tunes (``BASE_MODEL``)."""

    @staticmethod
    @abstractmethod
    def default_weights():
        """The pretrained model :attr:`BASE_MODEL` names when it is not set (a local path where a package ships it)."""

    INPUT = 'text'
    """The key of an example that holds the task's data value."""

    TARGET = ''
    """The key of an example that holds its labels (``choices``, ``spans``, ``boxes``)."""

    FINDS_LABEL_ISSUES = False
    """Whether it implements :meth:`label_issues` and :meth:`kept_output`."""

    CROSS_VALIDATES = False
    """Whether it implements :meth:`cross_validated_outputs`: without, only a version's out-of-sample outputs
    judge its labels."""

    FLIPS_LABELS = False
    """Whether it implements :meth:`flipped` and :meth:`flippable`: without, ``lsal simulate`` cannot measure
    label noise for it."""

    @classmethod
    @abstractmethod
    def from_config(cls, config, control):
        """The type for ``control`` (an element of ``config``, a :class:`LabelConfig`)."""

    @property
    def served_controls(self):
        """The one-control types it serves: itself (several for :class:`~model.multi_control.MultiControl`)."""
        return (self,)

    def configured(self, options):
        """This type with the values of its :attr:`OPTIONS` that ``options`` (a dict of any settings) holds."""
        return replace(self, **{name: value for name, value in options.items() if name in self.OPTIONS})

    def pretrained_model(self, weight):
        """The pretrained model it fine-tunes: ``weight(setting name)`` of :attr:`BASE_MODEL`."""
        return weight(self.BASE_MODEL)

    def comparable(self, predictor, other):
        """Whether two versions' predictors can be compared on held-out tasks and by their outputs."""
        return predictor.card.comparable(other.card)

    @classmethod
    def training_config(cls, **settings):
        """The :class:`~model.training.TrainingConfig` of :attr:`RECIPE`, with the ``settings`` not None."""
        return TrainingConfig(**{**cls.RECIPE, **{k: v for k, v in settings.items() if v is not None}})

    def to_dict(self):
        return {'type': self.NAME, 'from_name': self.from_name, 'to_name': self.to_name, 'field': self.field,
                'labels': list(self.labels), 'ignored': list(self.ignored)}

    def input_of(self, task, reader):
        """The value a task shows in the configured field (a text, or an image's URL).

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

    def skip_reason(self, value, reader):
        """Why a task showing ``value`` gets no prediction (it is scored last), or None."""
        return f'data.{self.field} is empty' if not value.strip() else None

    def read(self, tasks, reader):
        """What the model reads of each task, and why a task is skipped (None where it is not).

        Returns:
            ``(inputs, reasons)``, in task order; a skipped task's input is None.

        Raises:
            AnnotationRejected: a task without the configured field.
        """
        values = [self.input_of(task, reader) for task in tasks]
        reasons = [self.skip_reason(value, reader) for value in values]
        return [None if reason else value for value, reason in zip(values, reasons)], reasons

    def loaded(self, examples, reader):
        """``examples`` ready for :meth:`model_input`, and why others could not be read (a list)."""
        return examples, []

    def model_input(self, example):
        """What the model reads of a :meth:`loaded` example."""
        return example[self.INPUT]

    def example_of(self, annotation, task, reader):
        """:meth:`example_from` with who made the annotation (``annotator``, see
        :func:`~model.consensus.annotator_of`)."""
        example = self.example_from(annotation, task, reader)
        return None if example is None else {**example, 'annotator': annotator_of(annotation)}

    @abstractmethod
    def example_from(self, annotation, task, reader):
        """The training example (a JSON dict with ``task`` and :attr:`INPUT`) of an annotation, or None.

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
        """A predictor fine-tuned on :meth:`loaded` ``examples`` with the :class:`~model.training.TrainingConfig`
        ``training``, on the :class:`~model.device.Runtime` ``runtime``."""

    def evaluate(self, predictor, examples):
        """Held-out metrics of ``predictor`` on :meth:`loaded` ``examples`` (a JSON dict holding :attr:`METRIC`)."""
        return self.metrics(self.outputs(predictor, [self.model_input(e) for e in examples]), examples)

    @abstractmethod
    def metrics(self, outputs, examples):
        """Metrics of :meth:`outputs` against the labels of the same ``examples``."""

    def merged(self, candidate, serving, metrics, serving_metrics, margin):
        """``(candidate, metrics, kept)``: what the publish gate judges after keeping parts of the ``serving``
        predictor where the candidate's are worse (``kept``: part -> why), given both predictors' held-out
        metrics and ``margin(number held out)``, the drop a metric may show by chance. One control: the
        candidate as it is."""
        return candidate, metrics, {}

    def score(self, predictor, inputs, acquisition, rng):
        """``(inference, scores)`` of ``inputs`` by the :class:`~model.acquisition.Acquisition` ``acquisition``."""
        return acquisition.score(predictor, inputs, rng)

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

    def class_of(self, example):
        """The one class ``example`` belongs to, or None where the type's labels are not one class per example
        (``lsal simulate`` counts the classes a strategy picks, and can make some rare)."""
        return None

    def cluster_of(self, output):
        """The ``cluster`` of a prediction with this output (one of :meth:`predict`'s), which Label Studio's
        uncertainty sampling balances the tasks an annotator is served over; None: no cluster."""
        return None

    def label_counts(self, examples):
        """How many of ``examples`` hold each label, in label order (read by the ``balanced`` strategy)."""
        raise NotImplementedError(f'{self.NAME} does not count labels per example')

    def label_key(self, example):
        """An example's labels as a string: the same for two annotations that label a task alike."""
        return json.dumps(sorted(example[self.TARGET]))

    def label_issues(self, outputs, examples):
        """Which labels of ``examples`` are probably wrong, judged from ``outputs`` (one each, of a model that
        never trained on it).

        Returns:
            ``(quality, issue, suggested)``: arrays ``(n,)`` of quality in ``[0, 1]`` (lower = more likely
            wrong) and of whether it is probably wrong, and the labels the outputs suggest.
        """
        raise NotImplementedError(f'{self.NAME} does not find label issues')

    def cross_validated_outputs(self, features, examples, seed=0):
        """Outputs for ``examples`` as :meth:`label_issues` reads them, each by a model fitted on the other
        examples' ``features`` (pretrained embeddings, ``(n, dim)``)."""
        raise NotImplementedError(f'{self.NAME} does not find label issues')

    def flipped(self, example, rng):
        """``example`` with a wrong label drawn by the numpy Generator ``rng`` (``lsal simulate``'s label noise)."""
        raise NotImplementedError(f'{self.NAME} has no label noise to simulate')

    def flippable(self, example):
        """Whether :meth:`flipped` can make ``example``'s label wrong."""
        return True

    def reads_output(self, output):
        """Whether :meth:`label_issues` reads ``output`` (one of a model trained under other labels it does not)."""
        return True

    def kept_output(self, output):
        """A pool task's output in the JSON form kept until the task is labeled (then out of sample), or
        None where not kept."""
        return None

    def training_notes(self, examples):
        """Counts about the training data worth a line in the version summary (JSON dict)."""
        return {}

    @abstractmethod
    def pretrained_embedder(self, base_model, training, runtime=CPU):
        """``embed(inputs)``: embeddings ``(len(inputs), hidden_size)`` by the pretrained encoder, before any
        fine-tuning (for the cold start); ``training`` is the :class:`~model.training.TrainingConfig`."""
