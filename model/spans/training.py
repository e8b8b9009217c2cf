"""Fine-tune a :class:`~model.spans.tagger.TokenTagger` on texts with entity spans."""
import numpy as np
import torch
from torch import nn

from model.contracts import ModelCard
from model.device import CPU
from model.exceptions import TrainingDataError
from model.spans.bio import IGNORED, encode_spans, tag_names
from model.spans.predictor import SpanPredictor
from model.spans.tagger import TokenTagger, pad, tokenize_windows, window_tensors
from model.training import TrainingConfig
from model.transformer import load_tokenizer, train_steps

SPANS = 'spans'
"""``ModelCard.kind`` of a span tagger."""

MAX_TAG_WEIGHT = 10.0
"""Cap on the loss weight of a rare tag relative to ``O``."""


def fine_tune_spans(base_model, texts, spans, labels, config=None, runtime=CPU):
    """Fine-tune ``base_model`` to tag ``spans`` in ``texts``; returns a :class:`SpanPredictor`.

    Args:
        base_model: a local folder or a model name of a transformers encoder
            with a fast tokenizer (its offset mapping places the spans).
        texts: training texts.
        spans: per text, ``(start, end, label)`` character spans, not
            overlapping; an empty list is a text without entities.
        labels: the entity labels, in the order of the output tags.
        config: the :class:`~model.training.TrainingConfig`; a step is a batch
            of windows of ``max_length`` tokens (long texts give several).
        runtime: the :class:`~model.device.Runtime` to train and predict on.

    Raises:
        TrainingDataError: no texts, or a span with an unknown label or outside its text.
    """
    config = config or TrainingConfig()
    _check(texts, spans, labels)
    torch.manual_seed(config.seed)  # before the head is drawn
    tokenizer = load_tokenizer(base_model)
    tagger = TokenTagger.from_encoder(base_model, len(tag_names(labels)))
    windows = tokenize_windows(tokenizer, texts, config.max_length)
    targets = [encode_spans(w.offsets, spans[w.text], labels).tolist() for w in windows]
    input_ids, attention_mask = window_tensors(windows, tokenizer.pad_token_id)
    target = torch.tensor(pad(targets, IGNORED))
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORED,
                                  weight=_tag_weights(target, len(tag_names(labels))) if config.class_weights else None)
    train_steps(tagger, input_ids, attention_mask, target, loss_fn, config, runtime, per_token=True)
    card = ModelCard(labels=tuple(labels), multi_label=False, max_length=config.max_length,
                     base_model=str(base_model), kind=SPANS)
    return SpanPredictor(tagger, tokenizer, card, runtime)


def _check(texts, spans, labels):
    if len(texts) != len(spans) or not len(texts):
        raise TrainingDataError(f'texts: expected one per span list and at least one, got {len(texts)} '
                                f'for {len(spans)}')
    known = set(labels)
    for text, text_spans in zip(texts, spans):
        for start, end, label in text_spans:
            if label not in known:
                raise TrainingDataError(f'spans: unknown label {label!r}; the labels are {list(labels)}')
            if not 0 <= start < end <= len(text):
                raise TrainingDataError(f'spans: ({start}, {end}) is outside a text of {len(text)} characters')


def _tag_weights(target, num_tags):
    """Inverse tag frequency relative to ``O``, capped at :data:`MAX_TAG_WEIGHT`: entities are rare."""
    counts = np.bincount(target[target != IGNORED].numpy(), minlength=num_tags).astype(np.float64)
    weight = np.where(counts > 0, counts[0] / np.maximum(counts, 1.0), 1.0)
    return torch.tensor(np.clip(weight, 1.0, MAX_TAG_WEIGHT), dtype=torch.float32)
