"""The optimiser loop every task type fine-tunes with, and its hyper-parameters."""
import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from model.device import CPU
from model.exceptions import TrainingDivergedError

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


def optimize(module, num_samples, batch_loss, loss_fn, config, runtime=CPU):
    """Run :meth:`TrainingConfig.num_steps` AdamW steps of ``batch_loss(index)`` (the loss of the samples at
    ``index``, a tensor of indices) on ``runtime``'s device, reshuffling at every epoch.

    ``module`` has an ``encoder`` and a fresh ``head``, which learns at ``config.head_learning_rate``.
    """
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
    if not all(torch.isfinite(parameter).all() for parameter in module.parameters()):
        raise TrainingDivergedError(f'training diverged: weights are not finite after {steps} steps (last loss '
                                    f'{loss.item():.4g}); try a lower LEARNING_RATE')


def _optimizer(module, config, steps):
    """AdamW with a higher rate for the fresh head, linear warm-up then linear decay.

    The fused kernel: the same update, 8 times faster than the default loop over the parameters on a 2-core
    CPU (MiniLM: 60 against 7.5 ms; ``benchmarks/optimizer_step.py``)."""
    groups = [
        {'params': module.encoder.parameters(), 'lr': config.learning_rate},
        {'params': module.head.parameters(), 'lr': config.head_learning_rate},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay, fused=True)
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
