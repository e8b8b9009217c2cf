"""Span labeling (named entities): one ``<Labels>`` over one ``<Text>``, learned by a token tagger."""
from model.spans.metrics import entity_metrics
from model.spans.predictor import SpanInference, SpanPredictor
from model.spans.tagger import TokenTagger
from model.spans.task_type import SpanLabeling, clean_spans
from model.spans.training import SPANS, fine_tune_spans

__all__ = ['SPANS', 'SpanInference', 'SpanLabeling', 'SpanPredictor', 'TokenTagger', 'clean_spans',
           'entity_metrics', 'fine_tune_spans']
