"""Where models run: the device, and whether bfloat16 autocast is both faster and faithful there."""
import json
import logging
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
    def create(cls, device='auto', inference_bf16='auto', base_model=None, training_bf16='auto'):
        """The runtime of ``device`` (see :func:`resolve_device`).

        ``inference_bf16`` and ``training_bf16`` are True, False or ``'auto'``:
        what :func:`calibrate` measures on ``base_model`` on that device (once
        per process and model).
        """
        resolved = resolve_device(device)
        if 'auto' in (inference_bf16, training_bf16):
            calibration = calibrate(base_model, resolved)
            inference_bf16 = calibration.inference.bf16 if inference_bf16 == 'auto' else inference_bf16
            training_bf16 = calibration.training.bf16 if training_bf16 == 'auto' else training_bf16
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

    fp32, fp32_seconds = _best_time(embed, False)
    bf16, bf16_seconds = _best_time(embed, True)
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

    (fp32_argmax, fp32_grads), fp32_seconds = _best_time(step, False)
    (bf16_argmax, bf16_grads), bf16_seconds = _best_time(step, True)
    cosine = float(torch.nn.functional.cosine_similarity(fp32_grads.double(), bf16_grads.double(), dim=0))
    training = choose_bf16(fp32_seconds, bf16_seconds, float(np.mean(fp32_argmax == bf16_argmax)),
                           max(0.0, 1.0 - cosine), max_difference=MAX_GRADIENT_DIFFERENCE)
    return Calibration(inference, training)


def _measure_in_child(base_model, device, max_length):
    command = [sys.executable, '-m', 'model.device', str(base_model), str(device), str(max_length)]
    output = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    return Calibration(PrecisionDecision(**output['inference']), PrecisionDecision(**output['training']))


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


def _best_time(run, bf16, repeats=3):
    """The output of ``run(bf16)`` and the least of ``repeats`` timings after one warm-up."""
    out = run(bf16)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(bf16)
        seconds.append(time.perf_counter() - started)
    return out, min(seconds)


def _calibration_texts(tokenizer):
    """:data:`CALIBRATION_TEXTS` texts of whole words from the tokenizer's vocabulary, the same every time."""
    words = sorted(w for w in tokenizer.get_vocab() if w.isalpha() and len(w) > 2)
    rng = np.random.default_rng(0)
    return [' '.join(rng.choice(words, CALIBRATION_WORDS)) for _ in range(CALIBRATION_TEXTS)]


if __name__ == '__main__':  # what calibrate(isolated=True) runs
    print(json.dumps(asdict(_measure(sys.argv[1], torch.device(sys.argv[2]), int(sys.argv[3])))))
