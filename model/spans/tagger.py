"""A transformer encoder with a linear tag head on every token (span labeling)."""
from dataclasses import dataclass

import torch

from model.transformer import TransformerWithHead

WINDOW_STRIDE_FRACTION = 4
"""A long text is cut into windows of ``max_length`` tokens overlapping by ``max_length // 4``."""


class TokenTagger(TransformerWithHead):
    """Encoder + dropout + linear head applied to each token's embedding."""

    def embed(self, input_ids, attention_mask):
        """Token embeddings, shape ``(batch, width, hidden_size)``."""
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def forward(self, input_ids, attention_mask):
        """Tag logits of shape ``(batch, width, num_tags)``."""
        return self.head(self.dropout(self.embed(input_ids, attention_mask)))


@dataclass(frozen=True)
class Window:
    """Up to ``max_length`` tokens of one text.

    Attributes:
        text: index of the text in the tokenized list.
        input_ids: token ids, special tokens included.
        offsets: ``(start, end)`` character offsets per token, ``(0, 0)`` for special tokens.
    """

    text: int
    input_ids: list
    offsets: list


def tokenize_windows(tokenizer, texts, max_length):
    """Every text as overlapping windows, so that no token of a long text is dropped."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length,
                        stride=max_length // WINDOW_STRIDE_FRACTION, return_overflowing_tokens=True,
                        return_offsets_mapping=True)
    return [Window(text, ids, [tuple(pair) for pair in offsets]) for text, ids, offsets in
            zip(encoded['overflow_to_sample_mapping'], encoded['input_ids'], encoded['offset_mapping'])]


def window_tensors(windows, pad_token_id):
    """``(input_ids, attention_mask)`` of ``windows``, right-padded to the longest: ``(len(windows), width)``."""
    return (torch.tensor(pad([w.input_ids for w in windows], pad_token_id)),
            torch.tensor(pad([[1] * len(w.input_ids) for w in windows], 0)))


def pad(rows, value):
    """Equal-length copies of ``rows`` (lists), right-padded with ``value``."""
    width = max((len(row) for row in rows), default=0)
    return [list(row) + [value] * (width - len(row)) for row in rows]

