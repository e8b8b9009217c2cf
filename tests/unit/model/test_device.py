"""Device names and the bfloat16 decision (pure functions: no model, no GPU)."""
import numpy as np
import pytest
import torch

from model.device import MIN_SPEEDUP, choose_bf16, embedding_agreement, interleaved_best_times, resolve_device


@pytest.mark.parametrize('name, cuda_devices, expected', [
    ('auto', 0, 'cpu'),
    ('auto', 2, 'cuda:0'),
    (' CPU ', 2, 'cpu'),
    ('cuda', 1, 'cuda'),
    ('cuda:1', 2, 'cuda:1'),
])
def test_device_names_resolve_on_the_machine_at_hand(name, cuda_devices, expected):
    assert resolve_device(name, cuda_devices) == torch.device(expected)


@pytest.mark.parametrize('name, cuda_devices, message', [
    ('gpu', 1, "expected auto, cpu, cuda or cuda:N, got 'gpu'"),
    ('cuda:', 1, 'expected auto'),
    ('cuda', 0, 'cuda: this machine has 0 CUDA device(s)'),
    ('cuda:2', 2, 'cuda:2: this machine has 2 CUDA device(s)'),
])
def test_a_device_that_cannot_be_used_is_named(name, cuda_devices, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        resolve_device(name, cuda_devices)


def test_bf16_is_chosen_when_faster_and_agreeing():
    decision = choose_bf16(0.30, 0.12, agreement=1.0, difference=4e-5)
    assert decision.bf16
    assert '2.50x faster' in decision.reason
    assert (decision.fp32_seconds, decision.bf16_seconds) == (0.30, 0.12)


@pytest.mark.parametrize('fp32, bf16', [(0.3, 1.8), (0.3, 0.3), (0.3, 0.3 / MIN_SPEEDUP * 1.01)])
def test_bf16_is_refused_when_not_faster_enough(fp32, bf16):
    decision = choose_bf16(fp32, bf16, agreement=1.0, difference=4e-5)
    assert not decision.bf16
    assert 'not faster' in decision.reason


@pytest.mark.parametrize('agreement, difference', [(0.97, 4e-5), (1.0, 0.01)])
def test_bf16_is_refused_when_it_disagrees_however_fast(agreement, difference):
    decision = choose_bf16(0.3, 0.05, agreement=agreement, difference=difference)
    assert not decision.bf16
    assert 'disagrees' in decision.reason


def test_embedding_agreement_counts_texts_that_stay_nearest_their_own_embedding():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(8, 16)).astype(np.float32)
    assert embedding_agreement(reference, reference + 1e-4) == pytest.approx((1.0, 0.0), abs=1e-6)
    swapped = reference.copy()
    swapped[[0, 1]] = reference[[1, 0]]
    agreement, difference = embedding_agreement(reference, swapped)
    assert agreement == pytest.approx(6 / 8)
    assert difference > 0.5


def test_training_gradients_may_differ_more_than_embeddings():
    assert not choose_bf16(0.5, 0.35, agreement=1.0, difference=0.004).bf16
    assert choose_bf16(0.5, 0.35, agreement=1.0, difference=0.004, max_difference=0.01).bf16


class Clock:
    """A clock that ``run`` advances by the seconds each call takes (a list, consumed in order)."""

    def __init__(self, seconds):
        self.now, self.seconds, self.calls = 0.0, list(seconds), []

    def __call__(self):
        return self.now

    def run(self, bf16):
        self.calls.append('bf16' if bf16 else 'fp32')
        self.now += self.seconds.pop(0)
        return bf16


def test_timings_interleave_fp32_and_bf16_and_stop_once_the_ratio_is_stable():
    # Warm-ups 9 and 9; then pairs (2, 1) (2, 1) (2, 1): ratio 2.0 twice over -> stop after the minimum 3 pairs.
    clock = Clock([9, 9, 2, 1, 2, 1, 2, 1, 5, 5])
    outputs, best = interleaved_best_times(clock.run, clock=clock)
    assert outputs == (False, True) and best == (2, 1)
    assert clock.calls == ['fp32', 'bf16'] * 4


def test_timings_go_on_while_the_ratio_moves_and_stop_at_the_most_pairs():
    # A load that falls on bf16's runs: its best keeps improving, the ratio keeps moving; stop at 5 pairs.
    clock = Clock([1, 1] + [x for n in range(5) for x in (2, 10 - n)])
    _, best = interleaved_best_times(clock.run, max_pairs=5, clock=clock)
    assert best == (2, 6) and len(clock.calls) == 2 + 2 * 5
    moving_then_still = Clock([1, 1, 2, 4, 2, 3, 2, 3, 2, 3, 2, 3])
    _, best = interleaved_best_times(moving_then_still.run, clock=moving_then_still)
    assert best == (2, 3) and len(moving_then_still.calls) == 2 + 2 * 3, 'ratio 0.5, 0.67, 0.67: stable at pair 3'
