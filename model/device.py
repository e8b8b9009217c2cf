"""Where models run: the device, and whether bfloat16 autocast is both faster and faithful there."""
import json
import logging
import re
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass

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

_DEVICE_NAME = re.compile(r'auto|cpu|cuda(:\d+)?')


@dataclass(frozen=True)
class PrecisionDecision:
    """Whether to infer under bfloat16 autocast, and the figures that decided it."""

    bf16: bool
    reason: str
    fp32_seconds: float = None
    bf16_seconds: float = None
    agreement: float = None
    difference: float = None


@dataclass(frozen=True)
class Runtime:
    """The device a process runs models on, and where bfloat16 autocast is used.

    Fine-tuning always runs in fp32: under bfloat16 autocast it took 16.7 s
    instead of 3.0 s on an H200 and was slower on the CPUs measured
    (benchmarks/README.md, "GPU check").

    Attributes:
        device: a :class:`torch.device`.
        inference_bf16: autocast the encoder's forward at inference.
    """

    device: torch.device = torch.device('cpu')
    inference_bf16: bool = False

    @classmethod
    def create(cls, device='auto', inference_bf16='auto', base_model=None):
        """The runtime of ``device`` (see :func:`resolve_device`).

        ``inference_bf16`` is True, False or ``'auto'``: what :func:`calibrate`
        measures on ``base_model`` on that device (once per process and model).
        """
        resolved = resolve_device(device)
        if inference_bf16 == 'auto':
            inference_bf16 = calibrate(base_model, resolved).bf16
        return cls(resolved, bool(inference_bf16))

    def autocast(self):
        """A context for inference: bfloat16 autocast on this device where :attr:`inference_bf16`."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.inference_bf16 else nullcontext()

    def describe(self):
        """A JSON dict for ``/versions`` and logs."""
        return {'device': str(self.device), 'inference_bf16': self.inference_bf16}


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


def choose_bf16(fp32_seconds, bf16_seconds, agreement, difference):
    """Whether bfloat16 should be used, from one calibration's timings and agreement.

    Used only where it is at least :data:`MIN_SPEEDUP` times faster and agrees:
    every text's embedding stays nearest its own (``agreement`` >= :data:`MIN_AGREEMENT`)
    and no embedding turns by more than :data:`MAX_DIFFERENCE` (``1 - cosine``).
    """
    figures = dict(fp32_seconds=fp32_seconds, bf16_seconds=bf16_seconds, agreement=agreement, difference=difference)
    speedup = fp32_seconds / max(bf16_seconds, 1e-9)
    if agreement < MIN_AGREEMENT or difference > MAX_DIFFERENCE:
        return PrecisionDecision(False, f'bf16 disagrees with fp32 (agreement {agreement:.3f}, '
                                        f'difference {difference:.4f})', **figures)
    if speedup < MIN_SPEEDUP:
        return PrecisionDecision(False, f'bf16 is not faster ({speedup:.2f}x fp32)', **figures)
    return PrecisionDecision(True, f'bf16 is {speedup:.2f}x faster than fp32 and agrees', **figures)


_decisions = {}
_decisions_lock = threading.Lock()


def calibrate(base_model, device=torch.device('cpu'), max_length=128, isolated=False):
    """Time the encoder ``base_model`` over a calibration batch in fp32 and in bfloat16, compare the
    embeddings and :func:`choose_bf16`; logged once, and remembered for the process.

    ``isolated`` measures in a child process, so that this one never starts
    torch's thread pool: a process that forks workers must not (a forked
    child would hang in its first parallel region).
    """
    key = (str(base_model), str(device))
    with _decisions_lock:
        if key not in _decisions:
            _decisions[key] = (_measure_in_child if isolated else _measure)(base_model, device, max_length)
            decision = _decisions[key]
            logger.info('Inference precision on %s: %s (calibration batch of %d texts: fp32 %.3fs, bf16 %.3fs, '
                        'agreement %.3f, difference %.5f)', device, 'bf16' if decision.bf16 else 'fp32',
                        CALIBRATION_TEXTS, decision.fp32_seconds, decision.bf16_seconds, decision.agreement,
                        decision.difference)
        return _decisions[key]


def _measure(base_model, device, max_length):
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    encoder = AutoModel.from_pretrained(base_model).to(device).eval()
    batch = tokenizer(_calibration_texts(tokenizer), padding=True, truncation=True, max_length=max_length,
                      return_tensors='pt').to(device)
    def run(bf16):
        with torch.inference_mode(), Runtime(device, bf16).autocast():
            tokens = encoder(**batch).last_hidden_state
            mask = batch['attention_mask'].unsqueeze(-1).to(tokens.dtype)
            return ((tokens * mask).sum(dim=1) / mask.sum(dim=1)).float().cpu().numpy()

    fp32, fp32_seconds = _best_time(run, False)
    bf16, bf16_seconds = _best_time(run, True)
    agreement, difference = embedding_agreement(fp32, bf16)
    return choose_bf16(fp32_seconds, bf16_seconds, agreement, difference)


def _measure_in_child(base_model, device, max_length):
    command = [sys.executable, '-m', 'model.device', str(base_model), str(device), str(max_length)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return PrecisionDecision(**json.loads(output.strip().splitlines()[-1]))


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
