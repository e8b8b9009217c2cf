"""Training targets and the loss of a classification fine-tune."""
import numpy as np
import torch
from torch import nn

from model.exceptions import TrainingDataError


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
