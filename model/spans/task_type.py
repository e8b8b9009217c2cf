"""Span labeling (named entities): one ``<Labels>`` over one ``<Text>``.

Offsets are Python string indices (code points) both ways: Label Studio 1.23's
editor converts the browser's UTF-16 selection to code points before it stores
a span, and draws a prediction's ``start``/``end`` as code points
(``web/libs/editor/src/utils/selection-tools.js``), so an emoji counts one.
"""
from dataclasses import dataclass

import numpy as np

from model.device import CPU
from model.label_config import inline_text_field, label_values
from model.label_quality import token_issues
from model.spans.bio import encode_spans
from model.spans.metrics import entity_metrics
from model.spans.predictor import SpanPredictor
from model.spans.training import SPANS, fine_tune_spans
from model.task_type import AnnotationRejected, TaskType, relabel_one
from model.transformer import default_text_model, text_embedder
from strategies import SEQUENCE_STRATEGIES


def clean_spans(text, spans):
    """``(start, end, label)`` spans as the tagger can learn them, and how many were dropped.

    Whitespace at the edges is trimmed (a predicted span never has it, so it
    would never match), spans left empty are dropped, and overlaps are resolved
    by :func:`resolve_overlaps`.
    """
    trimmed = []
    for start, end, label in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            trimmed.append((start, end, label))
    kept, _ = resolve_overlaps(trimmed)
    return kept, len(spans) - len(kept)


def resolve_overlaps(spans):
    """Non-overlapping spans, in text order, and how many were dropped.

    BIO tags hold one entity per token, so of overlapping or nested spans the
    longest is kept, and of equally long ones the earliest.
    """
    kept = []
    for start, end, label in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, label))
    return sorted(kept), len(spans) - len(kept)


KEPT_TOKENS = 512
"""Tokens at most of a pool text whose output is kept for judging its label later (about 10 numbers each)."""


@dataclass(frozen=True)
class SpanLabeling(TaskType):
    """Labels over a text. Examples are ``{"task", "text", "spans": [[start, end, label], ...], "dropped"}``
    with offsets in code points; ``dropped`` counts spans left out (overlapping, or only whitespace).
    """

    NAME = SPANS
    MODEL = SpanPredictor
    CONTROL = 'Labels'
    OBJECT = 'Text'
    STRATEGIES = SEQUENCE_STRATEGIES
    METRIC = 'f1'
    HELD_OUT_GAUGES = {'entity_precision': 'precision', 'entity_recall': 'recall', 'entity_f1': 'f1'}
    PER_LABEL_GAUGES = {
        'entity_type_f1': ('per_type', 'type', 'Held-out entity F1 of each type for the current version.')}
    AGREEMENT = 'entity_f1'
    TARGET = 'spans'
    FINDS_LABEL_ISSUES = True
    FLIPS_LABELS = True
    CURVE_METRICS = ('f1', 'precision', 'recall')
    # Tags are sparse and entities rare: twice the rate and more passes than classification. On
    # WNUT-16 tweets this took entity F1 from 0.21 to 0.34 at 200 labels (README, "Span labeling").
    RECIPE = {'learning_rate': 1e-4, 'epochs': 10}
    # On WNUT-16 (3 seeds) margin led random by 3.4 AULC points, the most of any strategy on every seed,
    # with no dropout passes (benchmarks/README.md, "Span labeling").
    DEFAULT_STRATEGY = 'margin'

    default_weights = staticmethod(default_text_model)
    pretrained_embedder = staticmethod(text_embedder)

    @classmethod
    def from_config(cls, config, control):
        target = config.target(control, cls.OBJECT)
        return cls(from_name=control.get('name'), to_name=target.get('name'), field=inline_text_field(target),
                   labels=label_values(control, 'Label', 1))

    def skip_reason(self, text, reader):
        """Empty texts, and texts over ``reader.max_chars``: a text is tagged whole or not at all."""
        if len(text) > reader.max_chars:
            return f'data.{self.field} has {len(text)} characters; MAX_TEXT_CHARS is {reader.max_chars}'
        return super().skip_reason(text, reader)

    def example_from(self, annotation, task, reader):
        """An annotation without spans is a text without entities (a valid example)."""
        if annotation.get('was_cancelled'):
            return None
        text = self.input_of(task, reader)
        reason = self.skip_reason(text, reader)
        if reason:
            raise AnnotationRejected(f'task {task.get("id")}: {reason}')
        result = annotation.get('result') or []
        if not isinstance(result, list):
            raise AnnotationRejected(f'annotation {annotation.get("id")}: result must be a list of regions')
        spans = [self._span(annotation.get('id'), text, region) for region in result
                 if isinstance(region, dict) and region.get('from_name') == self.from_name]
        kept, dropped = clean_spans(text, spans)
        return {'task': int(task.get('id', annotation.get('task'))), 'text': text,
                'spans': [list(span) for span in kept], 'dropped': dropped}

    def holds(self, example):
        return 'spans' in example

    def untrainable(self, examples):
        if len(examples) < 2:
            return f'{len(examples)} labeled task(s); training needs two'
        if not any(e['spans'] for e in examples):
            return f'{len(examples)} labeled task(s) without any entity; training needs one'
        return None

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        return fine_tune_spans(base_model, [e['text'] for e in examples], [self._known(e) for e in examples],
                               list(self.labels), config=training, runtime=runtime)

    def predict(self, predictor, texts, acquisition, rng):
        """Outputs are per text ``{"spans": [[start, end, label], ...], "tokens": (num_tokens, 3 + num_labels)}``:
        the spans found, and each token's start, end and probabilities of being outside every entity or in
        one of each configured label (its B- and I- tags summed), which :meth:`label_issues` reads."""
        inference, scores = self.score(predictor, texts, acquisition, rng)
        found = self._configured(predictor.spans(texts, inference))
        results = [[self._region(text, span) for span in spans] for text, spans in zip(texts, found)]
        return results, scores, self._outputs(predictor, found, inference)

    def outputs(self, predictor, texts):
        inference = predictor.infer(texts)
        return self._outputs(predictor, self._configured(predictor.spans(texts, inference)), inference)

    def metrics(self, outputs, examples):
        """Entity-level micro precision, recall and F1 by exact span and type, and F1 per type."""
        return entity_metrics([self._known(e) for e in examples], [output['spans'] for output in outputs])

    def agreement(self, outputs, other):
        """Entity-level F1 of one version's spans against the other's (symmetric)."""
        return entity_metrics([o['spans'] for o in other], [o['spans'] for o in outputs])['f1']

    def label_issues(self, outputs, examples):
        """Confident learning on each token's label probabilities (:func:`~model.label_quality.token_issues`):
        a text's quality is that of its least likely token label; it suggests the spans found."""
        given, probabilities = [], []
        for output, example in zip(outputs, examples):
            tokens = np.asarray(output['tokens'], dtype=np.float64).reshape(-1, 3 + len(self.labels))
            tags = encode_spans(tokens[:, :2].astype(np.int64), self._known(example), self.labels)
            given.append((tags + 1) // 2)  # B- and I- of a label: one class, after "outside"
            probabilities.append(tokens[:, 2:])
        quality, issue = token_issues(given, probabilities)
        return quality, issue, [output['spans'] for output in outputs]

    def flipped(self, example, rng):
        """One entity, drawn uniformly, given another type, drawn uniformly."""
        return {**example, 'spans': relabel_one(example['spans'], self.labels, rng)}

    def flippable(self, example):
        """A text with an entity, where the config has two types or more."""
        return bool(example['spans']) and len(self.labels) > 1

    def reads_output(self, output):
        tokens = output.get('tokens') if isinstance(output, dict) else None
        return tokens is not None and all(len(token) == 3 + len(self.labels) for token in tokens)

    def kept_output(self, output):
        """The spans and token probabilities (3 decimals) of a text of at most :data:`KEPT_TOKENS` tokens."""
        if len(output['tokens']) > KEPT_TOKENS:
            return None
        return {'spans': output['spans'],
                'tokens': [[int(t[0]), int(t[1]), *(round(float(p), 3) for p in t[2:])] for t in output['tokens']]}

    def training_notes(self, examples):
        return {'num_spans': sum(len(e['spans']) for e in examples),
                'spans_dropped': sum(e.get('dropped', 0) for e in examples)}

    def _outputs(self, predictor, found, inference):
        """:meth:`predict`'s outputs from the spans ``found`` and the token probabilities of ``inference``;
        the probability of a label the config no longer has counts as outside."""
        columns = np.zeros((1 + 2 * len(predictor.card.labels), 1 + len(self.labels)))
        columns[0, 0] = 1.0
        for i, label in enumerate(predictor.card.labels):
            columns[1 + 2 * i:3 + 2 * i, 1 + self.labels.index(label) if label in self.labels else 0] = 1.0
        return [{'spans': [list(span[:3]) for span in spans],
                 'tokens': np.hstack([np.asarray(offsets).reshape(-1, 2), probabilities @ columns])}
                for spans, offsets, probabilities in zip(found, inference.offsets, inference.token_probabilities)]

    def _configured(self, found):
        """Spans whose label the config still has: Label Studio drops a whole prediction with another."""
        return [[span for span in spans if span[2] in self.labels] for spans in found]

    def _known(self, example):
        """An example's spans whose label the config still has, as tuples."""
        return [tuple(span) for span in example['spans'] if span[2] in self.labels]

    def _span(self, annotation_id, text, region):
        """``(start, end, label)`` in code points from a ``labels`` result item, checked against the text."""
        value = region.get('value') if isinstance(region.get('value'), dict) else {}
        where = f'annotation {annotation_id}'
        start, end, labels = value.get('start'), value.get('end'), value.get('labels')
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)):
            raise AnnotationRejected(f'{where}: value.start and value.end must be integers, got {start!r}, {end!r}')
        if not isinstance(labels, list) or not labels:
            raise AnnotationRejected(f'{where}: value.labels must be a non-empty list, got {labels!r}')
        unknown = [label for label in labels if label not in self.labels]
        if unknown:
            raise AnnotationRejected(f'{where}: unknown label(s) {unknown}; <Labels name="{self.from_name}"> '
                                     f'has {list(self.labels)}')
        if not 0 <= start < end <= len(text):
            raise AnnotationRejected(f'{where}: span ({start}, {end}) is empty or outside the text '
                                     f'(data.{self.field} has {len(text)} characters)')
        if 'text' in value and value['text'] != text[start:end]:
            raise AnnotationRejected(f'{where}: value.text {value["text"][:50]!r} is not the text at '
                                     f'({start}, {end}): {text[start:end][:50]!r}')
        return start, end, labels[0]

    def _region(self, text, span):
        """A Label Studio ``labels`` result item for a ``(start, end, label, score)`` span."""
        start, end, label, score = span
        return {'from_name': self.from_name, 'to_name': self.to_name, 'type': 'labels',
                'value': {'start': start, 'end': end, 'text': text[start:end], 'labels': [label]},
                'score': round(score, 4)}
