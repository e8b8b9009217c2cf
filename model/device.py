"""Where models run: the device, and whether bfloat16 autocast is both faster and faithful there."""
import json
import logging
import os
import platform
import re
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

logger = logging.getLogger(__name__)

CALIBRATION_TEXTS = 32
"""Texts in the calibration batch."""

CALIBRATION_WORDS = 60
"""Words per calibration text: about the token length of a paragraph."""

MIN_SPEEDUP = 1.1
"""bfloat16 must run the calibration batch at least this much faster than fp32."""

MIN_AGREEMENT = 1.0
"""Fraction of calibration texts whose bfloat16 embedding must be nearest its own fp32 one."""

MAX_DIFFERENCE = 0.001
"""Largest ``1 - cosine`` between a text's fp32 and bfloat16 embedding."""

MAX_GRADIENT_DIFFERENCE = 0.01
"""Largest ``1 - cosine`` between the encoder's fp32 and bfloat16 gradients of one training step."""

TRAINING_TEXTS = 16
"""Texts in the calibration's training step (one batch of the training recipe)."""

MIN_TIMING_PAIRS = 3
"""Least pairs of interleaved fp32 and bfloat16 timings."""

MAX_TIMING_PAIRS = 12
"""Most pairs, when the ratio keeps moving (a busy machine)."""

STABLE_RATIO = 0.03
"""Timings are stable once one more pair moves the ratio of the best fp32 and bfloat16 times by at most this
fraction."""

_DEVICE_NAME = re.compile(r'auto|cpu|cuda(:\d+)?')


@dataclass(frozen=True)
class PrecisionDecision:
    """Whether to use bfloat16 autocast, and the figures that decided it."""

    bf16: bool
    reason: str
    fp32_seconds: float = None
    bf16_seconds: float = None
    agreement: float = None
    difference: float = None


@dataclass(frozen=True)
class Calibration:
    """The bfloat16 decisions for inference and for fine-tuning on one device."""

    inference: PrecisionDecision
    training: PrecisionDecision

    @classmethod
    def from_dict(cls, values):
        """The calibration ``dataclasses.asdict`` gave ``values`` of."""
        return cls(PrecisionDecision(**values['inference']), PrecisionDecision(**values['training']))


@dataclass(frozen=True)
class Runtime:
    """The device a process runs models on, and where bfloat16 autocast is used.

    Attributes:
        device: a :class:`torch.device`.
        inference_bf16: autocast the encoder's forward at inference.
        train_bf16: autocast the forward of fine-tuning steps (weights,
            gradients and optimizer stay fp32).
    """

    device: torch.device = torch.device('cpu')
    inference_bf16: bool = False
    train_bf16: bool = False

    @classmethod
    def create(cls, device='auto', inference_bf16='auto', base_model=None, training_bf16='auto', calibration=None):
        """The runtime of ``device`` (see :func:`resolve_device`).

        ``inference_bf16`` and ``training_bf16`` are True, False or ``'auto'``:
        what ``calibration(base_model, device)`` decides on that device
        (default :func:`calibrate`: measured once per process and model).
        """
        resolved = resolve_device(device)
        if 'auto' in (inference_bf16, training_bf16):
            decided = (calibration or calibrate)(base_model, resolved)
            inference_bf16 = decided.inference.bf16 if inference_bf16 == 'auto' else inference_bf16
            training_bf16 = decided.training.bf16 if training_bf16 == 'auto' else training_bf16
        return cls(resolved, bool(inference_bf16), bool(training_bf16))

    def without_bf16(self):
        """This runtime's device in fp32 only."""
        return replace(self, inference_bf16=False, train_bf16=False)

    def autocast(self, training=False):
        """A context that runs under bfloat16 autocast on this device where :attr:`inference_bf16` (or
        :attr:`train_bf16` when ``training``) says so."""
        enabled = self.train_bf16 if training else self.inference_bf16
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if enabled else nullcontext()

    def describe(self):
        """A JSON dict for ``/versions`` and logs."""
        return {'device': str(self.device), 'inference_bf16': self.inference_bf16, 'train_bf16': self.train_bf16}


CPU = Runtime()
"""fp32 on the CPU: exact and the same on every machine."""


def resolve_device(name, cuda_devices=None):
    """The :class:`torch.device` that ``name`` (``auto``, ``cpu``, ``cuda`` or ``cuda:N``) means here.

    ``auto`` is the first GPU when CUDA sees one, else the CPU.

    Raises:
        ValueError: a name of another form, or a GPU this machine does not have.
    """
    name = device_name(name)
    cuda_devices = torch.cuda.device_count() if cuda_devices is None else cuda_devices
    if name == 'auto':
        return torch.device('cuda:0' if cuda_devices else 'cpu')
    device = torch.device(name)
    if device.type == 'cuda' and (device.index or 0) >= cuda_devices:
        raise ValueError(f'{name}: this machine has {cuda_devices} CUDA device(s)')
    return device


def device_name(value):
    """``value`` as a device name (``auto``, ``cpu``, ``cuda`` or ``cuda:N``), lower case.

    Raises:
        ValueError: a value of another form.
    """
    name = str(value).strip().lower()
    if not _DEVICE_NAME.fullmatch(name):
        raise ValueError(f'expected auto, cpu, cuda or cuda:N, got {value!r}')
    return name


def choose_bf16(fp32_seconds, bf16_seconds, agreement, difference, max_difference=MAX_DIFFERENCE):
    """Whether bfloat16 should be used, from one calibration's timings and agreement.

    Used only where it is at least :data:`MIN_SPEEDUP` times faster and agrees:
    the same argmax on every text (``agreement`` >= :data:`MIN_AGREEMENT`) and a
    ``difference`` (``1 - cosine`` of embeddings, or of gradients) of at most
    ``max_difference``.
    """
    figures = dict(fp32_seconds=fp32_seconds, bf16_seconds=bf16_seconds, agreement=agreement, difference=difference)
    speedup = fp32_seconds / max(bf16_seconds, 1e-9)
    if agreement < MIN_AGREEMENT or difference > max_difference:
        return PrecisionDecision(False, f'bf16 disagrees with fp32 (agreement {agreement:.3f}, '
                                        f'difference {difference:.4f})', **figures)
    if speedup < MIN_SPEEDUP:
        return PrecisionDecision(False, f'bf16 is not faster ({speedup:.2f}x fp32)', **figures)
    return PrecisionDecision(True, f'bf16 is {speedup:.2f}x faster than fp32 and agrees', **figures)


_decisions = {}
_decisions_lock = threading.Lock()


def calibrate(base_model, device=torch.device('cpu'), max_length=128, isolated=False):
    """The :class:`Calibration` of the encoder ``base_model`` on ``device``; logged once, and remembered
    for the process.

    Inference: a batch of :data:`CALIBRATION_TEXTS` embedded in fp32 and in
    bfloat16, timed, and compared by :func:`embedding_agreement`. Training: a
    step (forward, cross-entropy through a fresh head, backward) on
    :data:`TRAINING_TEXTS` of them, timed, and compared by the head's argmax and
    the cosine of the encoder's gradients. Each goes to :func:`choose_bf16`.

    ``isolated`` measures in a child process, so that this one never starts
    torch's thread pool: a process that forks workers must not (a forked
    child would hang in its first parallel region).
    """
    key = (str(base_model), str(device))
    with _decisions_lock:
        if key not in _decisions:
            _decisions[key] = (_measure_in_child if isolated else _measure)(base_model, device, max_length)
            for use, decision in (('Inference', _decisions[key].inference), ('Training', _decisions[key].training)):
                logger.info('%s precision on %s: %s (%s; calibration: fp32 %.3fs, bf16 %.3fs, agreement %.3f, '
                            'difference %.5f)', use, device, 'bf16' if decision.bf16 else 'fp32', decision.reason,
                            decision.fp32_seconds, decision.bf16_seconds, decision.agreement, decision.difference)
        return _decisions[key]


def _measure(base_model, device, max_length):
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    encoder = AutoModel.from_pretrained(base_model).to(device).eval()  # eval: no dropout, the same step twice
    batch = tokenizer(_calibration_texts(tokenizer), padding=True, truncation=True, max_length=max_length,
                      return_tensors='pt').to(device)
    def pooled(inputs):
        tokens = encoder(**inputs).last_hidden_state
        mask = inputs['attention_mask'].unsqueeze(-1).to(tokens.dtype)
        return (tokens * mask).sum(dim=1) / mask.sum(dim=1)

    def embed(bf16):
        with torch.inference_mode(), Runtime(device, inference_bf16=bf16).autocast():
            return pooled(batch).float().cpu().numpy()

    (fp32, bf16), (fp32_seconds, bf16_seconds) = interleaved_best_times(embed)
    inference = choose_bf16(fp32_seconds, bf16_seconds, *embedding_agreement(fp32, bf16))

    torch.manual_seed(0)
    head = torch.nn.Linear(encoder.config.hidden_size, 2).to(device)
    step_batch = {name: values[:TRAINING_TEXTS] for name, values in batch.items()}
    target = (torch.arange(TRAINING_TEXTS) % 2).to(device)

    def step(bf16):
        encoder.zero_grad()
        with Runtime(device, train_bf16=bf16).autocast(training=True):
            logits = head(pooled(step_batch)).float()
        torch.nn.functional.cross_entropy(logits, target).backward()
        grads = torch.cat([p.grad.flatten().float() for p in encoder.parameters() if p.grad is not None])
        return logits.argmax(dim=1).cpu().numpy(), grads

    (fp32_step, bf16_step), (fp32_seconds, bf16_seconds) = interleaved_best_times(step)
    (fp32_argmax, fp32_grads), (bf16_argmax, bf16_grads) = fp32_step, bf16_step
    cosine = float(torch.nn.functional.cosine_similarity(fp32_grads.double(), bf16_grads.double(), dim=0))
    training = choose_bf16(fp32_seconds, bf16_seconds, float(np.mean(fp32_argmax == bf16_argmax)),
                           max(0.0, 1.0 - cosine), max_difference=MAX_GRADIENT_DIFFERENCE)
    return Calibration(inference, training)


def _measure_in_child(base_model, device, max_length):
    command = [sys.executable, '-m', 'model.device', str(base_model), str(device), str(max_length)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1]
    return Calibration.from_dict(json.loads(output))


def embedding_agreement(reference, other):
    """``(agreement, difference)`` of two embeddings of the same texts, ``(n, hidden)`` each.

    ``agreement``: the fraction of texts whose ``other`` embedding is nearest
    (cosine) to its own ``reference`` embedding among all of the batch, i.e.
    the same argmax when each text is a class. ``difference``: the largest
    ``1 - cosine`` between a text's two embeddings.
    """
    a = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    b = other / np.linalg.norm(other, axis=1, keepdims=True)
    same = (b @ a.T).argmax(axis=1) == np.arange(len(a))
    return float(np.mean(same)), float(np.max(1.0 - np.sum(a * b, axis=1)))


def interleaved_best_times(run, min_pairs=MIN_TIMING_PAIRS, max_pairs=MAX_TIMING_PAIRS, stable=STABLE_RATIO,
                           clock=time.perf_counter):
    """``((fp32 output, bf16 output), (best fp32 seconds, best bf16 seconds))`` of ``run(bf16)``.

    After one warm-up of each, fp32 and bfloat16 runs alternate, so that load
    from elsewhere falls on both alike, for at least ``min_pairs`` pairs and
    until one more pair moves the ratio of the best times by at most ``stable``
    (a fraction), or ``max_pairs``.
    """
    outputs = (run(False), run(True))
    best = [float('inf'), float('inf')]
    for pair in range(max_pairs):
        before = best[0] / best[1] if pair else None
        for index, bf16 in enumerate((False, True)):
            started = clock()
            run(bf16)
            best[index] = min(best[index], clock() - started)
        if pair + 1 >= min_pairs and abs(best[0] / best[1] - before) <= stable * before:
            break
    return outputs, tuple(best)


def machine_kind(device):
    """What a calibration on ``device`` holds for: the GPU's name, or the CPU's model and the cores this process
    may use."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            model = next((line.split(':', 1)[1].strip() for line in cpuinfo if line.startswith('model name')), '')
    except OSError:
        model = ''
    return f'{model or platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores'


def _calibration_texts(tokenizer):
    """:data:`CALIBRATION_TEXTS` texts of whole words from the tokenizer's vocabulary, the same every time."""
    words = sorted(w for w in tokenizer.get_vocab() if w.isalpha() and len(w) > 2)
    rng = np.random.default_rng(0)
    return [' '.join(rng.choice(words, CALIBRATION_WORDS)) for _ in range(CALIBRATION_TEXTS)]


if __name__ == '__main__':  # what calibrate(isolated=True) runs
    print(json.dumps(asdict(_measure(sys.argv[1], torch.device(sys.argv[2]), int(sys.argv[3])))))
