"""One small-text learning curve; runs inside small-text's own virtual environment.

Started by :mod:`benchmarks.small_text_runs` as ``python small_text_runner.py PLAN.json``.
The plan fixes the data, the split, the initial labels and the settings, so
that small-text replays exactly the campaign our simulator runs. Each round is
written to standard output as one JSON line with the columns of ``rounds.csv``;
everything else the libraries print goes to standard error.

Only small-text 1.4.1 and its dependencies are imported here: the rest of
this repository needs transformers 5, small-text needs transformers 4.
"""
import json
import sys
import time

import numpy as np
import torch
from sklearn.metrics import cohen_kappa_score, f1_score
from small_text import (
    BreakingTies,
    GreedyCoreset,
    LeastConfidence,
    PoolBasedActiveLearner,
    PredictionEntropy,
    RandomSampling,
    TransformerBasedClassificationFactory,
    TransformerModelArguments,
    TransformersDataset,
)
from transformers import AutoTokenizer

QUERY_STRATEGIES = {
    'random': RandomSampling,
    'breaking_ties': BreakingTies,
    'least_confidence': LeastConfidence,
    'prediction_entropy': PredictionEntropy,
    'greedy_coreset': GreedyCoreset,
}
"""small-text's query strategies by the name the benchmark uses."""

CLASSIFIER_SETTINGS = {'num_epochs': 5, 'lr': 2e-4, 'mini_batch_size': 8}
"""small-text's best settings for MiniLM measured on this machine (see the README's benchmark section)."""


def learning_curve(plan, emit):
    """Replay the campaign in ``plan``; ``emit`` gets one round dict after each training."""
    seed = plan['seed']
    np.random.seed(seed)
    torch.manual_seed(seed)
    names = sorted(set(plan['labels']))
    y = np.array([names.index(label) for label in plan['labels']])
    texts = np.array(plan['texts'], dtype=object)
    pool, test = np.array(plan['pool']), np.array(plan['test'])
    model = TransformerModelArguments(plan['model'])
    tokenizer = AutoTokenizer.from_pretrained(plan['model'])
    target = np.arange(len(names))
    train = TransformersDataset.from_arrays(list(texts[pool]), y[pool], tokenizer, target_labels=target,
                                            max_length=plan['max_length'])
    test_set = TransformersDataset.from_arrays(list(texts[test]), y[test], tokenizer, target_labels=target,
                                               max_length=plan['max_length'])
    factory = TransformerBasedClassificationFactory(model, len(names), kwargs={**CLASSIFIER_SETTINGS,
                                                                             'device': 'cpu'})
    learner = PoolBasedActiveLearner(factory, QUERY_STRATEGIES[plan['strategy']](), train)
    labeled = np.array(plan['initial'])
    started = time.monotonic()
    learner.initialize_data(labeled, y[pool][labeled])
    previous = None
    for round_number in range(plan['rounds']):
        train_seconds = time.monotonic() - started
        predicted = learner.classifier.predict(test_set)
        row = {'strategy': plan['name'], 'seed': seed, 'round': round_number,
               'labels': len(learner.indices_labeled), 'accuracy': float(np.mean(predicted == y[test])),
               'macro_f1': float(f1_score(y[test], predicted, average='macro', labels=target, zero_division=0)),
               'agreement': None if previous is None else round(float(cohen_kappa_score(previous, predicted)), 4),
               'train_seconds': round(train_seconds, 2), 'query_seconds': 0.0}
        previous = predicted
        if round_number + 1 < plan['rounds']:
            started = time.monotonic()
            size = min(plan['batch'], plan['budget'] - len(learner.indices_labeled))
            queried = learner.query(num_samples=size)
            row['query_seconds'] = round(time.monotonic() - started, 2)
            started = time.monotonic()
            learner.update(y[pool][queried])
        emit(row)


def main(path):
    with open(path, encoding='utf-8') as handle:
        plan = json.load(handle)
    rows, sys.stdout = sys.stdout, sys.stderr

    def emit(row):
        rows.write(json.dumps(row) + '\n')
        rows.flush()

    learning_curve(plan, emit)


if __name__ == '__main__':
    main(sys.argv[1])
