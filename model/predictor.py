"""A trained classifier ready for inference: tokenizer, weights and label names."""
from dataclasses import asdict, dataclass

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModel, AutoTokenizer

from model.classifier import TextClassifier, probabilities
from model.device import CPU
from model.inference import run_batched
from strategies import score

TEXT_CLASSIFICATION = 'text_classification'
"""``ModelCard.kind`` of a text classifier (also of versions saved before kinds existed)."""


@dataclass(frozen=True)
class ModelCard:
    """What a version needs besides its weights to turn logits into labels.

    ``kind`` names the model: :data:`TEXT_CLASSIFICATION`,
    :data:`~model.span_predictor.SPANS` or :data:`~model.image_predictor.IMAGE_CLASSIFICATION`;
    the store loads a version by it. ``max_length`` is in tokens for text,
    ``image_size`` in pixels (a side of the square the encoder reads) for images.
    """

    labels: tuple
    multi_label: bool
    max_length: int
    base_model: str
    kind: str = TEXT_CLASSIFICATION
    image_size: int = 0

    def to_dict(self):
        return {**asdict(self), 'labels': list(self.labels)}

    def comparable(self, other):
        """Whether ``other``'s outputs can be compared with this one's: same kind, labels and multi-label."""
        return (self.kind, self.labels, self.multi_label) == (other.kind, other.labels, other.multi_label)

    @classmethod
    def from_dict(cls, data):
        return cls(labels=tuple(data['labels']), multi_label=bool(data['multi_label']),
                   max_length=int(data['max_length']), base_model=str(data['base_model']),
                   kind=str(data.get('kind', TEXT_CLASSIFICATION)), image_size=int(data.get('image_size', 0)))


@dataclass(frozen=True)
class Inference:
    """What one pass over a pool gives the strategies.

    Attributes:
        probabilities: ``(num_texts, num_classes)``.
        embeddings: the head's inputs, ``(num_texts, hidden_size)``.
        mc_probabilities: ``(num_passes, num_texts, num_classes)`` with dropout
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


HEAD_WEIGHTS = 'head.safetensors'
"""Weights of the head; a transformers encoder is saved with ``save_pretrained``."""


class LoadedModel:
    """A trained :class:`~model.classifier.EncoderWithHead` ready for inference; subclasses define ``infer``
    and the :attr:`MODULE` class they run.

    Args:
        classifier: the trained module; put in eval mode here.
        tokenizer: the (fast) tokenizer of its encoder.
        card: label names and settings of the version.
        runtime: the :class:`~model.device.Runtime` it runs on (the module is moved to its device).
    """

    MODULE = None

    def __init__(self, classifier, tokenizer, card, runtime=CPU):
        self.classifier = classifier.to(runtime.device).eval()
        self.tokenizer = tokenizer
        self.card = card
        self.runtime = runtime

    def embed(self, texts):
        """The inputs of the head, pooled per text: shape ``(len(texts), hidden_size)``."""
        return self.infer(texts).embeddings

    def save(self, folder):
        """Write the weights and tokenizer into ``folder`` (device-free)."""
        self.classifier.encoder.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        _save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        """What :meth:`save` wrote into ``folder``, on ``runtime``'s device."""
        encoder = AutoModel.from_pretrained(folder, config=AutoConfig.from_pretrained(folder))
        return cls(_with_head(cls.MODULE, encoder, folder), AutoTokenizer.from_pretrained(folder), card, runtime)


def _save_head(head, folder):
    save_file({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}, str(folder / HEAD_WEIGHTS))


def _with_head(module_class, encoder, folder):
    """A ``module_class`` of ``encoder`` and the head saved in ``folder``."""
    head = load_file(str(folder / HEAD_WEIGHTS))
    module = module_class(encoder, head['weight'].shape[0])
    module.head.load_state_dict(head)
    return module


class Predictor(LoadedModel):
    """Batched inference with a :class:`~model.classifier.TextClassifier`."""

    MODULE = TextClassifier

    def infer(self, texts, mc_passes=0, rng=None):
        """One encoder pass over ``texts``; returns an :class:`Inference`.

        ``mc_passes`` stochastic passes apply dropout to the pooled embedding
        before the head (last-layer MC dropout): the encoder runs once, so BALD
        costs no more than plain inference. ``rng`` draws the dropout masks.
        """
        num_classes = len(self.card.labels)
        if not len(texts):
            hidden = self.classifier.head.in_features
            empty = np.zeros((0, num_classes), dtype=np.float32)
            return Inference(empty, np.zeros((0, hidden), dtype=np.float32),
                             np.zeros((mc_passes, 0, num_classes), dtype=np.float32) if mc_passes else None)

        def forward(*batch):
            embedded = self.classifier.embed(*batch)
            return embedded, self._probabilities(self.classifier.head(embedded))

        embeddings, probs = self._batched(texts, forward)
        mc = self._mc_probabilities(embeddings, mc_passes, rng) if mc_passes else None
        return Inference(probs, embeddings, mc)

    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None):
        """Acquisition scores of shape ``(num_texts,)`` (lower = label first) from an :class:`Inference`."""
        return score(strategy, inference.probabilities, rng, multi_label=self.card.multi_label,
                     mc_probabilities=inference.mc_probabilities, embeddings=inference.embeddings,
                     labeled_embeddings=labeled_embeddings, batch_size=batch_size)

    def predict_proba(self, texts):
        """Class probabilities of shape ``(len(texts), num_classes)``."""
        return self.infer(texts).probabilities

    def choices(self, probabilities_):
        """Label names predicted from probabilities of shape ``(n, num_classes)`` (:func:`choices_from`)."""
        return choices_from(probabilities_, self.card.labels, self.card.multi_label)

    def _batched(self, texts, forward):
        """``forward`` over batches of the model inputs of ``texts``: its outputs as numpy arrays."""
        return run_batched(self.tokenizer, texts, self.card.max_length, forward, self.runtime)

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
