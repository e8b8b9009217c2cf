"""A trained span tagger ready for inference: per-token tag probabilities and entity spans."""
from dataclasses import dataclass

import numpy as np
import torch

from model.spans.bio import decode_tags
from model.spans.tagger import TokenTagger, tokenize_windows, window_tensors
from model.transformer import TransformerModel
from strategies import score_sequences

TEXTS_PER_CHUNK = 256
"""Texts tokenized and merged at a time, so memory stays flat over a large pool."""

WINDOWS_PER_BATCH = 64
"""Windows per forward pass."""


@dataclass(frozen=True)
class SpanInference:
    """What one pass over a pool gives the sequence strategies.

    Attributes:
        token_probabilities: per text, ``(num_tokens, num_tags)``.
        offsets: per text, ``(num_tokens, 2)`` character offsets of its tokens.
        embeddings: mean token embedding per text, ``(num_texts, hidden_size)``.
        mc_token_probabilities: per text, ``(num_passes, num_tokens, num_tags)``
            with dropout on the head's input, or None.
    """

    token_probabilities: list
    offsets: list
    embeddings: np.ndarray
    mc_token_probabilities: list = None


class SpanPredictor(TransformerModel):
    """Batched inference with a :class:`~model.spans.tagger.TokenTagger`; ``card.labels`` are the entity labels.

    A text longer than ``card.max_length`` tokens is read in overlapping
    windows; a token seen by two windows gets the mean of its two embeddings.
    """

    MODULE = TokenTagger

    def infer(self, texts, mc_passes=0, rng=None):
        """Tag probabilities of every token of ``texts``; returns a :class:`SpanInference`."""
        rng = rng if rng is not None else np.random.default_rng(0)
        parts = [self._infer_chunk(texts[start:start + TEXTS_PER_CHUNK], mc_passes, rng)
                 for start in range(0, len(texts), TEXTS_PER_CHUNK)]
        hidden = self.classifier.encoder.config.hidden_size
        return SpanInference(
            token_probabilities=[p for part in parts for p in part.token_probabilities],
            offsets=[o for part in parts for o in part.offsets],
            embeddings=np.concatenate([part.embeddings for part in parts]) if parts
            else np.zeros((0, hidden), dtype=np.float32),
            mc_token_probabilities=[m for part in parts for m in part.mc_token_probabilities] if mc_passes else None)

    def spans(self, texts, inference=None):
        """Per text, ``[(start, end, label, score), ...]``: non-overlapping entity spans."""
        inference = inference or self.infer(texts)
        return [decode_tags(text, offsets, probabilities, self.card.labels) for text, offsets, probabilities
                in zip(texts, inference.offsets, inference.token_probabilities)]

    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None):
        return score_sequences(strategy, inference.token_probabilities, rng,
                               mc_token_probabilities=inference.mc_token_probabilities,
                               embeddings=inference.embeddings, labeled_embeddings=labeled_embeddings,
                               batch_size=batch_size)

    def _infer_chunk(self, texts, mc_passes, rng):
        windows = tokenize_windows(self.tokenizer, texts, self.card.max_length)
        by_text = [[] for _ in texts]
        for window, vectors in zip(windows, self._token_vectors(windows)):
            by_text[window.text].append((window, vectors))
        offsets, merged = zip(*(self._merge(pieces) for pieces in by_text)) if texts else ((), ())
        # The head runs once over every token of the chunk; the rows are then split by text.
        tokens = np.concatenate(merged) if merged else np.zeros((0, self._hidden()), np.float32)
        ends = np.cumsum([len(m) for m in merged])[:-1]
        probabilities = np.split(self._probabilities(tokens), ends)
        mc = []
        if mc_passes:
            passes = np.stack([self._probabilities(tokens * self._keep(tokens.shape, rng)) for _ in range(mc_passes)])
            mc = np.split(passes, ends, axis=1)
        embeddings = np.array([m.mean(axis=0) if len(m) else np.zeros(self._hidden(), np.float32) for m in merged],
                              dtype=np.float32).reshape(len(texts), -1)
        return SpanInference(list(probabilities), list(offsets), embeddings, list(mc))

    def _merge(self, pieces):
        """The offsets ``(num_tokens, 2)`` and embeddings of one text's tokens, from its windows' pieces."""
        spans = np.array([o for w, _ in pieces for o in w.offsets if o[1] > o[0]], dtype=np.int64).reshape(-1, 2)
        vectors = np.concatenate([v for _, v in pieces]) if pieces else np.zeros((0, self._hidden()), np.float32)
        unique, inverse = np.unique(spans, axis=0, return_inverse=True)
        merged = np.zeros((len(unique), vectors.shape[1]), dtype=np.float32)
        np.add.at(merged, inverse.reshape(-1), vectors)
        merged /= np.maximum(np.bincount(inverse.reshape(-1), minlength=len(unique)), 1)[:, None]
        return unique, merged

    def _token_vectors(self, windows):
        """Per window, the encoder's embeddings of its real (non-special) tokens, ``(n, hidden)``."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        out = [None] * len(windows)
        device = self.runtime.device
        with torch.inference_mode(), self.runtime.autocast():
            for start in range(0, len(order), WINDOWS_PER_BATCH):
                index = order[start:start + WINDOWS_PER_BATCH]
                ids, mask = window_tensors([windows[i] for i in index], self.tokenizer.pad_token_id)
                tokens = self.classifier.embed(ids.to(device), mask.to(device)).float().cpu().numpy()
                for row, i in enumerate(index):
                    real = [e > s for s, e in windows[i].offsets]
                    out[i] = tokens[row, :len(real)][np.array(real, dtype=bool)]
        return out

    def _probabilities(self, vectors):
        with torch.inference_mode():
            vectors = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)).to(self.runtime.device)
            return torch.softmax(self.classifier.head(vectors), dim=-1).cpu().numpy()

    def _keep(self, shape, rng):
        rate = self.classifier.dropout.p
        return (rng.random(shape) >= rate).astype(np.float32) / (1.0 - rate)

    def _hidden(self):
        return self.classifier.encoder.config.hidden_size
