"""Character spans <-> BIO tags over sub-word tokens, through the tokenizer's offset mapping."""
import numpy as np

OUTSIDE = 'O'
"""The tag of a token outside every entity."""

IGNORED = -100
"""Target of special and padding tokens: the loss skips it."""


def tag_names(labels):
    """``['O', 'B-<label>', 'I-<label>', ...]`` for entity ``labels``, in label order."""
    return [OUTSIDE, *(f'{prefix}-{label}' for label in labels for prefix in 'BI')]


def encode_spans(offsets, spans, labels):
    """Tag ids of shape ``(num_tokens,)`` for tokens at ``offsets`` holding ``spans``.

    Args:
        offsets: ``(start, end)`` character offsets per token; ``(0, 0)`` marks
            special and padding tokens, which get :data:`IGNORED`.
        spans: ``(start, end, label)`` character spans, not overlapping.
        labels: the entity labels, in :func:`tag_names` order.

    A token that overlaps a span belongs to it: ``B-`` if it covers the span's
    first character, else ``I-`` (so a window that starts inside an entity
    continues it).
    """
    index = {label: i for i, label in enumerate(labels)}
    tags = np.zeros(len(offsets), dtype=np.int64)
    starts = np.array([s for s, _ in offsets])
    ends = np.array([e for _, e in offsets])
    tags[ends <= starts] = IGNORED
    for start, end, label in spans:
        inside = (ends > starts) & (starts < end) & (ends > start)
        tags[inside & (starts > start)] = 2 + 2 * index[label]
        tags[inside & (starts <= start)] = 1 + 2 * index[label]
    return tags


def decode_tags(text, offsets, probabilities, labels):
    """Entity spans from per-token tag probabilities.

    Args:
        text: the text the offsets index.
        offsets: ``(num_tokens, 2)`` character offsets of real tokens, in text order.
        probabilities: ``(num_tokens, 1 + 2 * len(labels))`` over :func:`tag_names`.
        labels: the entity labels.

    Returns:
        ``[(start, end, label, score), ...]`` in text order, not overlapping, with
        whitespace trimmed from the edges; ``score`` is the mean probability of
        the predicted tag over the span's tokens. An ``I-`` tag that does not
        continue an entity of its type starts one.
    """
    tags = probabilities.argmax(axis=1) if len(probabilities) else np.zeros(0, dtype=np.int64)
    confidence = probabilities.max(axis=1) if len(probabilities) else np.zeros(0)
    spans, current = [], None
    for position, tag in enumerate(tags):
        kind = None if tag == 0 else labels[(tag - 1) // 2]
        continues = current is not None and tag % 2 == 0 and kind == current[2]
        if current is not None and not continues:
            spans.append(current)
            current = None
        if kind is not None and current is None:
            current = [position, position, kind]
        elif continues:
            current[1] = position
    if current is not None:
        spans.append(current)
    out = []
    for first, last, kind in spans:
        start, end = int(offsets[first][0]), int(offsets[last][1])
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end, kind, float(confidence[first:last + 1].mean())))
    return out
