"""Does fine-tuning underfit few labels? Test accuracy by minimum step count, on the same labels.

    python -m benchmarks.training_recipe                         # 24 against 64 steps, as in the README
    python -m benchmarks.training_recipe --min-steps 24,64,128 --cells bbc_news:75

Each cell (dataset, label count) and seed draws one random labeled sample from
the pool, split as the simulator splits it, and fine-tunes it once per minimum
step count; the table gives test accuracy and the gain over the first count on
the same sample. Seeds start at 100, so the samples are not the learning-curve
benchmark's.
"""
import argparse
import sys
import time

import numpy as np

from backend.settings import Settings
from model import TrainingConfig
from model.text_classification import fine_tune
from simulation.datasets import DATASETS
from simulation.replay import SimulationConfig, split

CELLS = 'bbc_news:25,bbc_news:75,rotten_tomatoes:25,rotten_tomatoes:200'
"""Dataset and label count of each cell in the README's table."""

SPLIT = SimulationConfig(pool_size=1000, test_size=500, budget=500)
"""Pool and test sizes of the learning-curve runs in the README."""


def accuracies(base_model, dataset, num_labels, seeds, min_steps, max_length):
    """``{min_steps: [(accuracy, seconds) per seed]}`` for one cell."""
    texts, labels = DATASETS[dataset]()
    names = sorted(set(labels))
    results = {steps: [] for steps in min_steps}
    for seed in seeds:
        test, pool = split(len(labels), SPLIT, seed)
        chosen = np.random.default_rng(seed).choice(pool, num_labels, replace=False)
        truth = np.array([names.index(labels[i]) for i in test])
        for steps in min_steps:
            started = time.monotonic()
            training = TrainingConfig(max_length=max_length, min_steps=steps, seed=seed)
            predictor = fine_tune(base_model, [texts[i] for i in chosen], [[labels[i]] for i in chosen], names,
                                  config=training)
            predicted = predictor.predict_proba([texts[i] for i in test]).argmax(axis=1)
            results[steps].append((float(np.mean(predicted == truth)), time.monotonic() - started))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--cells', default=CELLS, help='dataset:labels, comma-separated')
    parser.add_argument('--min-steps', default='24,64', help='minimum step counts; the first is the baseline')
    parser.add_argument('--seeds', type=int, default=3)
    parser.add_argument('--max-length', type=int, default=64)
    args = parser.parse_args(argv)
    min_steps = [int(steps) for steps in args.min_steps.split(',')]
    base_model = Settings.from_env().base_model
    print(f'| dataset | labels | min steps | accuracy | gain over {min_steps[0]}, per seed (pts) | s/fine-tune |')
    print('|---|---|---|---|---|---|')
    for cell in args.cells.split(','):
        dataset, num_labels = cell.split(':')
        results = accuracies(base_model, dataset, int(num_labels), range(100, 100 + args.seeds), min_steps,
                             args.max_length)
        baseline = np.array([accuracy for accuracy, _ in results[min_steps[0]]])
        for steps, runs in results.items():
            accuracy = np.array([a for a, _ in runs])
            gain = 100 * (accuracy - baseline)
            print(f'| {dataset} | {num_labels} | {steps} | {accuracy.mean():.3f} ± {accuracy.std():.3f} | '
                  f'{gain.mean():+.1f} ± {gain.std():.1f} | {np.mean([s for _, s in runs]):.1f} |', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
