"""Batched, length-sorted forward passes."""
import numpy as np
import torch

from model.classifier import mean_pool
from model.device import CPU

INFERENCE_BATCH_SIZE = 64
"""Texts per forward pass at inference."""


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
