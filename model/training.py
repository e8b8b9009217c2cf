"""Fine-tune an encoder with a fresh head: the loop every task type shares, and text classification."""
import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from transformers import AutoTokenizer

from model.classifier import TextClassifier
from model.device import CPU
from model.exceptions import ModelNotFoundError, TrainingDataError
from model.predictor import ModelCard, Predictor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of one fine-tune.

    The number of optimizer steps is ``epochs`` passes over the data, but never
    fewer than ``min_steps`` nor more than ``max_steps`` (so a large project
    still trains in bounded time). Few labels need more passes, not fewer
    steps: with 75 to 200 labels, 64 steps beat 24 by 3 to 4 accuracy points
    on BBC News and Rotten Tomatoes (benchmarks/README.md, "Training recipe").
    With ``few_labels_min_steps`` set, the floor is one step per example, but
    no fewer than ``few_labels_min_steps`` and no more than ``min_steps``: a
    project's first versions come sooner, at a small cost in accuracy.
    """

    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    min_steps: int = 64
    few_labels_min_steps: int = None
    max_steps: int = 600
    max_length: int = 128
    image_size: int = 224
    class_weights: bool = True
    seed: int = 0

    def num_steps(self, num_samples):
        per_epoch = math.ceil(num_samples / self.batch_size)
        floor = self.min_steps
        if self.few_labels_min_steps is not None:
            floor = min(max(num_samples, self.few_labels_min_steps), self.min_steps)
        return int(min(max(self.epochs * per_epoch, floor), self.max_steps))


def load_tokenizer(name_or_path):
    """The tokenizer of ``name_or_path``, with a clear error when it cannot be found."""
    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as error:
        raise ModelNotFoundError(f'base_model: cannot load {name_or_path!r}: {error}') from error


def fine_tune(base_model, texts, targets, labels, multi_label=False, config=None, runtime=CPU):
    """Fine-tune ``base_model`` on ``texts`` and return a ready :class:`Predictor`.

    Args:
        base_model: a local folder or a model name of a transformers encoder.
        texts: training texts.
        targets: for each text, the list of its label names (exactly one unless
            ``multi_label``).
        labels: every label name, in the order of the output columns.
        multi_label: train independent yes/no outputs instead of a softmax.
        config: the :class:`TrainingConfig`; its defaults when None.
        runtime: the :class:`~model.device.Runtime` to train and predict on.

    Raises:
        TrainingDataError: no texts, or a target naming an unknown label.
        ModelNotFoundError: ``base_model`` cannot be loaded.
    """
    config = config or TrainingConfig()
    target, loss_fn = classification_targets('texts', len(texts), targets, labels, multi_label, config)
    torch.manual_seed(config.seed)  # before the head is drawn
    tokenizer = load_tokenizer(base_model)
    classifier = TextClassifier.from_encoder(base_model, len(labels))
    encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=config.max_length,
                        return_tensors='pt')
    train_steps(classifier, encoded['input_ids'], encoded['attention_mask'], target, loss_fn, config, runtime)

    card = ModelCard(labels=tuple(labels), multi_label=multi_label, max_length=config.max_length,
                     base_model=str(base_model))
    return Predictor(classifier, tokenizer, card, runtime)


def train_steps(module, input_ids, attention_mask, target, loss_fn, config, runtime=CPU, per_token=False):
    """Fine-tune ``module`` (``encoder`` + ``head``) on tokenized texts (see :func:`optimize`).

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


def optimize(module, num_samples, batch_loss, loss_fn, config, runtime=CPU):
    """Run :meth:`TrainingConfig.num_steps` AdamW steps of ``batch_loss(index)`` (the loss of the samples at
    ``index``, a tensor of indices) on ``runtime``'s device, reshuffling at every epoch."""
    rng = np.random.default_rng(config.seed)
    steps = config.num_steps(num_samples)
    module.to(runtime.device)
    loss_fn.to(runtime.device)
    optimizer, schedule = _optimizer(module, config, steps)
    module.train()
    for step, index in enumerate(_batches(num_samples, config.batch_size, steps, rng)):
        loss = batch_loss(index)
        loss.backward()
        nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            logger.debug('Fine-tune step %d/%d: loss %.4f', step + 1, steps, loss.item())


def classification_targets(what, num_inputs, targets, labels, multi_label, config):
    """The target tensor and the loss of a classification fine-tune on ``num_inputs`` ``what``.

    Raises:
        TrainingDataError: not one target per input, no input, or a target naming an unknown label.
    """
    y = encode_targets(targets, labels, multi_label)
    if num_inputs != len(y) or not num_inputs:
        raise TrainingDataError(f'{what}: expected one per target and at least one, got {num_inputs} for {len(y)}')
    target = torch.tensor(y, dtype=torch.float32 if multi_label else torch.long)
    return target, classification_loss(y, len(labels), multi_label, config.class_weights)


def encode_targets(targets, labels, multi_label):
    """Class indices of shape ``(n,)``, or a 0/1 matrix ``(n, num_labels)`` for multi-label."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({name for target in targets for name in target if name not in index})
    if unknown:
        raise TrainingDataError(f'targets: unknown labels {unknown}; the labels are {list(labels)}')
    if multi_label:
        y = np.zeros((len(targets), len(labels)), dtype=np.float32)
        for row, target in enumerate(targets):
            y[row, [index[name] for name in target]] = 1.0
        return y
    if any(len(target) != 1 for target in targets):
        raise TrainingDataError('targets: single-label training needs exactly one label per text')
    return np.array([index[target[0]] for target in targets], dtype=np.int64)


def classification_loss(y, num_classes, multi_label, class_weights):
    """Cross-entropy (per class for multi-label), weighted by inverse class frequency so a rare class is not ignored."""
    if multi_label:
        positives = y.sum(axis=0)
        weight = (len(y) - positives) / np.maximum(positives, 1.0)
        pos_weight = torch.tensor(np.clip(weight, 1.0, 10.0), dtype=torch.float32) if class_weights else None
        return nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    if not class_weights:
        return nn.CrossEntropyLoss()
    counts = np.bincount(y, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weight = np.zeros(num_classes)
    weight[present] = len(y) / (present.sum() * counts[present])
    return nn.CrossEntropyLoss(weight=torch.tensor(weight, dtype=torch.float32))


def _optimizer(module, config, steps):
    """AdamW with a higher rate for the fresh head, linear warm-up then linear decay."""
    groups = [
        {'params': module.encoder.parameters(), 'lr': config.learning_rate},
        {'params': module.head.parameters(), 'lr': config.head_learning_rate},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    warmup = max(1, int(steps * config.warmup_fraction))

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _batches(num_samples, batch_size, steps, rng):
    """``steps`` index batches, reshuffling the data at every epoch."""
    order = np.array([], dtype=np.int64)
    for _ in range(steps):
        if len(order) < min(batch_size, num_samples):
            order = np.concatenate([order, rng.permutation(num_samples)])
        batch, order = order[:batch_size], order[batch_size:]
        yield torch.from_numpy(batch)
