"""What the classification types' loaded models share: class probabilities, MC dropout on the head, choices."""
from abc import abstractmethod
from dataclasses import dataclass

import numpy as np
import torch

from model.contracts import LoadedModel
from strategies import score


@dataclass(frozen=True)
class Inference:
    """What one pass over a pool gives the strategies.

    Attributes:
        probabilities: ``(num_inputs, num_classes)``.
        embeddings: the head's inputs, ``(num_inputs, hidden_size)``.
        mc_probabilities: ``(num_passes, num_inputs, num_classes)`` with dropout
            on the head's input, or None when no passes were asked for.
    """

    probabilities: np.ndarray
    embeddings: np.ndarray
    mc_probabilities: np.ndarray = None


def choices_from(probabilities, labels, multi_label):
    """Label names predicted from probabilities of shape ``(n, len(labels))``.

    Single-label: the argmax. Multi-label: every class at 0.5 or above, or the
    most probable one when none is.
    """
    if not multi_label:
        return [[labels[i]] for i in probabilities.argmax(axis=1)]
    picked = []
    for row in probabilities:
        chosen = [labels[i] for i in np.flatnonzero(row >= 0.5)]
        picked.append(chosen or [labels[int(row.argmax())]])
    return picked


def probabilities(logits, multi_label):
    """Softmax over classes, or an independent sigmoid per class for multi-label, in float32: rows of bfloat16
    probabilities (a forward under bfloat16 autocast) miss a sum of 1 by more than the strategies accept."""
    logits = logits.float()
    return torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)


class ClassifierModel(LoadedModel):
    """A loaded classifier (``classifier.embed`` then ``classifier.head``); subclasses batch its inputs."""

    def infer(self, inputs, mc_passes=0, rng=None):
        """One encoder pass over ``inputs``; returns an :class:`Inference`.

        ``mc_passes`` stochastic passes apply dropout to the pooled embedding
        before the head (last-layer MC dropout): the encoder runs once, so BALD
        costs no more than plain inference. ``rng`` draws the dropout masks.
        """
        num_classes = len(self.card.labels)
        if not len(inputs):
            hidden = self.classifier.head.in_features
            empty = np.zeros((0, num_classes), dtype=np.float32)
            return Inference(empty, np.zeros((0, hidden), dtype=np.float32),
                             np.zeros((mc_passes, 0, num_classes), dtype=np.float32) if mc_passes else None)

        def forward(*batch):
            embedded = self.classifier.embed(*batch)
            return embedded, self._probabilities(self.classifier.head(embedded))

        embeddings, probs = self._batched(inputs, forward)
        mc = self._mc_probabilities(embeddings, mc_passes, rng) if mc_passes else None
        return Inference(probs, embeddings, mc)

    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None, labeled_counts=None):
        """``labeled_counts``: ``(label, count)`` pairs, counted here in this model's label order."""
        if labeled_counts is not None:
            counts = dict(labeled_counts)
            labeled_counts = [counts.get(label, 0) for label in self.card.labels]
        return score(strategy, inference.probabilities, rng, multi_label=self.card.multi_label,
                     mc_probabilities=inference.mc_probabilities, embeddings=inference.embeddings,
                     labeled_embeddings=labeled_embeddings, batch_size=batch_size, labeled_counts=labeled_counts)

    def predict_proba(self, inputs):
        """Class probabilities of shape ``(len(inputs), num_classes)``."""
        return self.infer(inputs).probabilities

    def choices(self, probabilities_):
        """Label names predicted from probabilities of shape ``(n, num_classes)`` (:func:`choices_from`)."""
        return choices_from(probabilities_, self.card.labels, self.card.multi_label)

    @abstractmethod
    def _batched(self, inputs, forward):
        """``forward`` over batches of the model inputs of ``inputs``: its outputs as numpy arrays."""

    def _probabilities(self, logits):
        return probabilities(logits, self.card.multi_label)

    def _mc_probabilities(self, embeddings, passes, rng):
        rng = rng if rng is not None else np.random.default_rng(0)
        rate = self.classifier.dropout.p
        device = self.runtime.device
        x = torch.from_numpy(embeddings).to(device)
        out = []
        with torch.inference_mode():
            for _ in range(passes):
                keep = torch.from_numpy(rng.random(embeddings.shape) >= rate).to(device)
                out.append(self._probabilities(self.classifier.head(x * keep / (1.0 - rate))).cpu().numpy())
        return np.stack(out)
