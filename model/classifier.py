"""A transformer encoder with mean pooling and a linear classification head."""
import torch
from torch import nn
from transformers import AutoModel


class EncoderWithHead(nn.Module):
    """A pretrained encoder, dropout and a fresh linear ``head`` of ``num_outputs``: what every task type
    fine-tunes and the version store saves."""

    def __init__(self, encoder, num_outputs, dropout=0.1, hidden_size=None):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size or encoder.config.hidden_size, num_outputs)

    @classmethod
    def from_encoder(cls, name_or_path, num_outputs):
        """A fresh head on the pretrained encoder ``name_or_path``."""
        return cls(AutoModel.from_pretrained(name_or_path), num_outputs)


class TextClassifier(EncoderWithHead):
    """Encoder + mean pooling + dropout + linear head.

    Mean pooling is what sentence encoders such as all-MiniLM-L6-v2 were trained
    with; their ``[CLS]`` pooler is untrained, which makes the stock
    ``*ForSequenceClassification`` head unstable with few labels.
    """

    def embed(self, input_ids, attention_mask):
        """Mean of the token embeddings, shape ``(batch, hidden_size)``."""
        return mean_pool(self.encoder, input_ids, attention_mask)

    def forward(self, input_ids, attention_mask):
        """Logits of shape ``(batch, num_classes)``."""
        return self.head(self.dropout(self.embed(input_ids, attention_mask)))


def mean_pool(encoder, input_ids, attention_mask):
    """Mean of ``encoder``'s token embeddings over the non-padding tokens, ``(batch, hidden_size)``."""
    tokens = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def probabilities(logits, multi_label):
    """Softmax over classes, or an independent sigmoid per class for multi-label."""
    return torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)
