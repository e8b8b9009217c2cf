"""Classification: one ``<Choices>`` (single or ``choice="multiple"``) over one data object."""
from abc import abstractmethod
from dataclasses import dataclass

import numpy as np

from model.classification.predictor import choices_from
from model.classification.targets import encode_targets
from model.evaluation import classification_metrics, indicators
from model.label_config import label_values
from model.label_quality import classification_issues, cross_validated_probabilities
from model.task_type import AnnotationRejected, TaskType
from strategies import STRATEGIES, cohen_kappa


@dataclass(frozen=True)
class Classification(TaskType):
    """Choices over one data object. Examples are ``{"task", INPUT, "choices"}``; a subclass names the
    object, reads its field and fine-tunes its model.

    Attributes:
        multi_label: ``choice="multiple"`` on the Choices tag.
    """

    multi_label: bool = False

    CONTROL = 'Choices'
    STRATEGIES = STRATEGIES
    METRIC = 'accuracy'
    HELD_OUT_GAUGES = {'accuracy': 'accuracy', 'macro_f1': 'macro_f1'}
    PER_LABEL_GAUGES = {'label_f1': ('f1_per_label', 'label', 'Held-out F1 of each label for the current version.')}
    AGREEMENT = 'cohen_kappa'
    CURVE_METRICS = ('accuracy', 'macro_f1')
    TARGET = 'choices'
    FINDS_LABEL_ISSUES = True
    CROSS_VALIDATES = True
    FLIPS_LABELS = True

    @classmethod
    def from_config(cls, config, control):
        target = config.target(control, cls.OBJECT)
        return cls(from_name=control.get('name'), to_name=target.get('name'), field=cls.field_of(target),
                   labels=label_values(control, 'Choice', 2), multi_label=control.get('choice') == 'multiple')

    @staticmethod
    @abstractmethod
    def field_of(target):
        """The task data key the object tag ``target`` shows."""

    def to_dict(self):
        return {**super().to_dict(), 'multi_label': self.multi_label}

    def choices_of(self, annotation_result):
        """The choices this control holds in an annotation's ``result`` list, or None if absent."""
        for region in annotation_result or ():
            if (isinstance(region, dict) and region.get('from_name') == self.from_name
                    and region.get('type', 'choices') == 'choices'):
                choices = (region.get('value') or {}).get('choices')
                if isinstance(choices, list):
                    return choices
        return None

    def result(self, choices):
        """A prediction ``result`` list that selects ``choices``."""
        return [{'from_name': self.from_name, 'to_name': self.to_name, 'type': 'choices',
                 'value': {'choices': list(choices)}}]

    def example_from(self, annotation, task, reader):
        """Annotations without a choice for this control teach nothing either (None)."""
        if annotation.get('was_cancelled'):
            return None
        choices = self.choices_of(annotation.get('result'))
        if not choices:
            return None
        unknown = [c for c in choices if c not in self.labels]
        if unknown:
            raise AnnotationRejected(f'annotation {annotation.get("id")}: unknown label(s) {unknown}; '
                                     f'<Choices name="{self.from_name}"> has {list(self.labels)}')
        if not self.multi_label and len(choices) != 1:
            raise AnnotationRejected(f'annotation {annotation.get("id")}: {len(choices)} choices for the '
                                     f'single-choice <Choices name="{self.from_name}">')
        value = self.input_of(task, reader)
        if not value.strip():
            raise AnnotationRejected(f'task {task.get("id")}: data.{self.field} is empty')
        return {'task': int(task.get('id', annotation.get('task'))), self.INPUT: value, 'choices': list(choices)}

    def class_of(self, example):
        """The example's one choice (None for multi-label)."""
        return None if self.multi_label else example['choices'][0]

    def cluster_of(self, output):
        """The most probable class's index."""
        return int(np.argmax(output))

    def label_counts(self, examples):
        return [sum(label in e['choices'] for e in examples) for label in self.labels]

    def holds(self, example):
        """Also False for an example whose label the config no longer offers."""
        return 'choices' in example and self.INPUT in example and set(example['choices']) <= set(self.labels)

    def untrainable(self, examples):
        classes = {choice for example in examples for choice in example['choices']}
        if len(examples) < 2 or (not self.multi_label and len(classes) < 2):
            return f'{len(examples)} labeled task(s) with {len(classes)} class(es); training needs two classes'
        return None

    def metrics(self, outputs, examples):
        """Accuracy, macro-F1, and F1 and recall per label (see :func:`~model.evaluation.classification_metrics`)."""
        predicted = choices_from(np.asarray(outputs), self.labels, self.multi_label)
        return classification_metrics(indicators([e['choices'] for e in examples], self.labels),
                                      indicators(predicted, self.labels), self.labels)

    def predict(self, predictor, texts, acquisition, rng):
        """Outputs are class probabilities, ``(len(texts), num_classes)``."""
        inference, scores = self.score(predictor, texts, acquisition, rng)
        results = [self._preannotation(choices) for choices in predictor.choices(inference.probabilities)]
        return results, scores, self._in_config_order(predictor, inference.probabilities)

    def outputs(self, predictor, texts):
        return self._in_config_order(predictor, predictor.predict_proba(texts))

    def _in_config_order(self, predictor, probabilities):
        """``probabilities`` over the predictor's labels as columns of the config's, matched by name (the
        config may have reordered, added or removed labels since it trained): 0 for a label the model
        lacks, and single-label rows renormalised over the labels kept (uniform where none is)."""
        trained = list(predictor.card.labels)
        if trained == list(self.labels):
            return probabilities
        probabilities = np.asarray(probabilities)
        columns = np.zeros((len(probabilities), len(self.labels)), dtype=probabilities.dtype)
        for k, label in enumerate(self.labels):
            if label in trained:
                columns[:, k] = probabilities[:, trained.index(label)]
        if self.multi_label:
            return columns
        total = columns.sum(axis=1, keepdims=True)
        return np.where(total > 0, columns / np.where(total > 0, total, 1), 1 / len(self.labels))

    def agreement(self, outputs, other):
        """Cohen's kappa of the predicted classes (of every yes/no decision for multi-label)."""
        outputs, other = np.asarray(outputs), np.asarray(other)
        if self.multi_label:
            return cohen_kappa((outputs >= 0.5).ravel().astype(int), (other >= 0.5).ravel().astype(int))
        return cohen_kappa(outputs.argmax(axis=1), other.argmax(axis=1))

    def label_issues(self, outputs, examples):
        """Confident learning on class probabilities (see :func:`~model.label_quality.classification_issues`)."""
        outputs = np.asarray(outputs, dtype=np.float64)
        given = encode_targets([e['choices'] for e in examples], self.labels, self.multi_label)
        if self.multi_label:
            given = [np.flatnonzero(row).tolist() for row in given]
        quality, issue = classification_issues(given, outputs, self.multi_label)
        return quality, issue, choices_from(outputs, self.labels, self.multi_label)

    def cross_validated_outputs(self, features, examples, seed=0):
        """Class probabilities by a cross-validated logistic regression."""
        given = encode_targets([e['choices'] for e in examples], self.labels, self.multi_label)
        return cross_validated_probabilities(features, given, len(self.labels), self.multi_label, seed)

    def flipped(self, example, rng):
        """Another label, uniformly (multi-label: one label added or removed, never leaving none)."""
        if not self.multi_label:
            others = [label for label in self.labels if label not in example['choices']]
            return {**example, 'choices': [others[rng.integers(len(others))]]}
        chosen = set(example['choices'])
        togglable = [label for label in self.labels if label not in chosen or len(chosen) > 1]
        chosen ^= {togglable[rng.integers(len(togglable))]}
        return {**example, 'choices': [label for label in self.labels if label in chosen]}

    def reads_output(self, output):
        return len(output) == len(self.labels)

    def kept_output(self, output):
        return [round(float(p), 4) for p in output]

    def _preannotation(self, choices):
        """The choices the config still offers (labels may have been removed since training)."""
        kept = [choice for choice in choices if choice in self.labels]
        return self.result(kept) if kept else []
