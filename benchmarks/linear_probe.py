"""Is a linear probe a better learner for the first rounds? Random labels, probe against fine-tuning.

    python -m benchmarks.linear_probe --dataset bbc_news --budget 200 --fine-tuned benchmarks/results/bbc_news
    python -m benchmarks.linear_probe --dataset mnist --budget 150 --fine-tuned benchmarks/results/first_rounds/mnist

Each seed splits the dataset and draws the 25 first labels as ``lsal simulate`` does, then labels 25 random
pool examples a round, like its ``random`` strategy (the order differs: these curves compare learners, not
samples). The probe is a logistic regression on the pretrained encoder's L2-normalised embeddings (those the
cold start reads), at each regularisation strength asked for. The fine-tuned figures are the ``random``
rows of a learning-curve results folder on the same dataset and seeds.
"""
import argparse
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from backend.settings import Settings
from model.task_type import Reader
from simulation.cli import load_dataset
from simulation.replay import SimulationConfig, area, split
from simulation.results import read_rounds


def embeddings(dataset, image_size, max_length):
    """``(L2-normalised pretrained embeddings, class indices)`` of every example of ``dataset``."""
    task_type, examples, _ = load_dataset(dataset, 'text', 'label')
    examples, _ = task_type.loaded(examples, Reader(image_size=image_size))
    training = task_type.training_config(image_size=image_size, max_length=max_length)
    embed = task_type.pretrained_embedder(Settings.from_env().weight(task_type.BASE_MODEL), training)
    features = np.asarray(embed([task_type.model_input(e) for e in examples]), dtype=np.float64)
    classes = np.array([task_type.labels.index(e['choices'][0]) for e in examples])
    return features / np.linalg.norm(features, axis=1, keepdims=True), classes


def probe_curve(features, classes, config, seed, strength):
    """Round dicts (labels, accuracy, macro-F1) of a probe retrained on 25 more random labels each round."""
    test, pool = split(len(classes), config, seed)
    first = np.random.default_rng(seed).choice(len(pool), config.initial, replace=False)
    rest = np.setdiff1d(np.arange(len(pool)), first)
    order = np.concatenate([first, np.random.default_rng(seed + 1).permutation(rest)])
    curve = []
    for count in range(config.initial, config.budget + 1, config.batch):
        labeled = pool[order[:count]]
        probe = LogisticRegression(C=strength, max_iter=5000).fit(features[labeled], classes[labeled])
        predicted = probe.predict(features[test])
        curve.append({'labels': count, 'accuracy': accuracy_score(classes[test], predicted),
                      'macro_f1': f1_score(classes[test], predicted, average='macro', labels=np.unique(classes))})
    return curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dataset', required=True)
    parser.add_argument('--budget', type=int, required=True)
    parser.add_argument('--fine-tuned', required=True, help='a learning-curve results folder with random rows')
    parser.add_argument('--strengths', default='1,10,100,1000', help="the probe's C values")
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--max-length', type=int, default=64)
    args = parser.parse_args(argv)
    config = SimulationConfig(initial=25, batch=25, budget=args.budget, pool_size=1000, test_size=500)
    features, classes = embeddings(args.dataset, args.image_size, args.max_length)
    tuned = [r for r in read_rounds(f'{args.fine_tuned}/rounds.csv')
             if r['strategy'] == 'random' and r['labels'] <= args.budget]
    seeds = sorted({r['seed'] for r in tuned})
    print('| learner | accuracy @50 | @100 | accuracy AULC | macro-F1 AULC |\n|---|---|---|---|---|')
    for strength in [float(c) for c in args.strengths.split(',')]:
        curves = [probe_curve(features, classes, config, seed, strength) for seed in seeds]
        _print_row(f'probe, C={strength:g}', curves)
    _print_row('fine-tuned', [sorted((r for r in tuned if r['seed'] == seed), key=lambda r: r['labels'])
                              for seed in seeds])
    return 0


def _print_row(name, curves):
    at = {r['labels']: np.mean([c[i]['accuracy'] for c in curves]) for i, r in enumerate(curves[0])}
    accuracy = np.mean([area(c, 'accuracy') for c in curves])
    macro_f1 = np.mean([area(c, 'macro_f1') for c in curves])
    print(f'| {name} | {at.get(50, np.nan):.3f} | {at.get(100, np.nan):.3f} | {accuracy:.3f} | {macro_f1:.3f} |')


if __name__ == '__main__':
    sys.exit(main())
