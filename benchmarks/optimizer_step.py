"""What the optimizer costs in a MiniLM fine-tune step: PyTorch's default AdamW against the fused kernel.

    python -m benchmarks.optimizer_step [--layers 2 6] [--repeats 10]

For each depth: one forward and backward of a batch of 16 texts at 128 tokens, and one AdamW step over
every parameter (the embeddings included, as fine-tuning trains them), each the median of ``--repeats``
after a warm-up. Prints a JSON line per depth.
"""
import argparse
import json
import statistics
import time

import torch
from transformers import AutoModel, AutoTokenizer

from model.transformer import default_text_model

BATCH, TOKENS = 16, 128


def median_seconds(action, repeats):
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(layers, repeats):
    folder = default_text_model()
    encoder = AutoModel.from_pretrained(folder, num_hidden_layers=layers).train()
    batch = AutoTokenizer.from_pretrained(folder)(['a news article about markets ' * 40] * BATCH, truncation=True,
                                                  max_length=TOKENS, padding=True, return_tensors='pt')

    def forward_backward():
        encoder.zero_grad()
        encoder(**batch).last_hidden_state.mean().backward()

    row = {'layers': layers, 'parameters': sum(p.numel() for p in encoder.parameters()),
           'threads': torch.get_num_threads(), 'forward_backward_ms': 1000 * median_seconds(forward_backward, repeats)}
    for name, options in (('adamw_default_ms', {}), ('adamw_fused_ms', {'fused': True})):
        optimizer = torch.optim.AdamW(encoder.parameters(), lr=1e-5, **options)
        row[name] = 1000 * median_seconds(optimizer.step, repeats)
    row['fused_speedup'] = row['adamw_default_ms'] / row['adamw_fused_ms']
    row['step_share_default'] = row['adamw_default_ms'] / (row['forward_backward_ms'] + row['adamw_default_ms'])
    row['step_share_fused'] = row['adamw_fused_ms'] / (row['forward_backward_ms'] + row['adamw_fused_ms'])
    return {name: round(value, 3) if isinstance(value, float) else value for name, value in row.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--layers', type=int, nargs='+', default=[2, 6])
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args(argv)
    for layers in args.layers:
        print(json.dumps(measure(layers, args.repeats)), flush=True)


if __name__ == '__main__':
    main()
