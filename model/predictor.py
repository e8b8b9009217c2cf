"""A trained classifier ready for inference: tokenizer, weights and label names."""
from dataclasses import asdict, dataclass

import numpy as np
import torch

from model.classifier import probabilities

INFERENCE_BATCH_SIZE = 64
"""Texts per forward pass at inference."""


@dataclass(frozen=True)
class ModelCard:
    """What a version needs besides its weights to turn logits into labels."""

    labels: tuple
    multi_label: bool
    max_length: int
    base_model: str

    def to_dict(self):
        return {**asdict(self), 'labels': list(self.labels)}

    @classmethod
    def from_dict(cls, data):
        return cls(labels=tuple(data['labels']), multi_label=bool(data['multi_label']),
                   max_length=int(data['max_length']), base_model=str(data['base_model']))


class Predictor:
    """Batched inference with a :class:`~model.classifier.TextClassifier`.

    Args:
        classifier: the trained module; put in eval mode here.
        tokenizer: the tokenizer of its encoder.
        card: label names and settings of the version.
        bf16: run under bfloat16 autocast (about 3x faster on CPUs with AMX).
    """

    def __init__(self, classifier, tokenizer, card, bf16=False):
        self.classifier = classifier.eval()
        self.tokenizer = tokenizer
        self.card = card
        self.bf16 = bf16

    def predict_proba(self, texts, batch_size=INFERENCE_BATCH_SIZE):
        """Class probabilities of shape ``(len(texts), num_classes)``."""
        multi_label = self.card.multi_label
        return self._map(texts, batch_size, lambda batch: probabilities(self.classifier(**batch), multi_label),
                         width=len(self.card.labels))

    def embed(self, texts, batch_size=INFERENCE_BATCH_SIZE):
        """Mean-pooled encoder embeddings of shape ``(len(texts), hidden_size)``."""
        return self._map(texts, batch_size, lambda batch: self.classifier.embed(**batch),
                         width=self.classifier.encoder.config.hidden_size)

    def choices(self, probabilities_):
        """Label names predicted from probabilities of shape ``(n, num_classes)``.

        Single-label: the argmax. Multi-label: every class at 0.5 or above, or the
        most probable one when none is.
        """
        labels = self.card.labels
        if not self.card.multi_label:
            return [[labels[i]] for i in probabilities_.argmax(axis=1)]
        picked = []
        for row in probabilities_:
            chosen = [labels[i] for i in np.flatnonzero(row >= 0.5)]
            picked.append(chosen or [labels[int(row.argmax())]])
        return picked

    def _map(self, texts, batch_size, forward, width):
        """Run ``forward`` over length-sorted batches and restore the input order."""
        out = np.zeros((len(texts), width), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=self.bf16):
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                batch = self.tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                       max_length=self.card.max_length, return_tensors='pt')
                result = forward({'input_ids': batch['input_ids'], 'attention_mask': batch['attention_mask']})
                out[index] = result.float().numpy()
        return out
