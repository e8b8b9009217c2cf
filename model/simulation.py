"""Replay the active-learning loop on an already-labeled dataset (``lsal simulate``).

The same fine-tuning (:func:`~model.training.fine_tune`) and the same scoring
(:class:`~model.acquisition.Acquisition`) that serve Label Studio run here: a
simulated annotator labels the ``batch`` lowest-scored pool texts each round.
"""
import time
from dataclasses import dataclass, field, replace

import numpy as np

from model.acquisition import MC_PASSES, Acquisition, cold_start_scores
from model.evaluation import classification_metrics, indicators
from model.training import TrainingConfig, fine_tune
from strategies import DEFAULT_STRATEGY, check_strategy, cohen_kappa, stabilized

LABEL_COUNTS = (50, 100, 200, 300, 400, 500)
"""Label counts at which the summary table reports accuracy."""

BASELINE = 'random'
"""The strategy every other one is compared with, seed by seed."""


@dataclass(frozen=True)
class SimulationConfig:
    """One simulated labeling campaign.

    Attributes:
        initial: labels before the first model.
        batch: labels added per round (what annotators do between trainings).
        budget: stop once this many texts are labeled.
        seeds: one run per seed; a seed fixes the split, the initial set and training.
        strategies: strategy names to compare.
        pool_size, test_size: texts drawn for the unlabeled pool and the test set.
        initial_strategy: ``random`` or ``representative`` (cold start on embeddings).
        training: the :class:`~model.training.TrainingConfig`.
        bf16: bfloat16 inference when scoring the pool.
        mc_passes: stochastic passes for ``bald``.
    """

    initial: int = 25
    batch: int = 25
    budget: int = 500
    seeds: tuple = (0, 1, 2)
    strategies: tuple = (BASELINE, DEFAULT_STRATEGY)
    pool_size: int = 4000
    test_size: int = 1000
    initial_strategy: str = 'random'
    training: TrainingConfig = field(default_factory=TrainingConfig)
    bf16: bool = False
    mc_passes: int = MC_PASSES

    def __post_init__(self):
        for name in self.strategies:
            check_strategy(name)
        if self.initial_strategy not in ('random', 'representative'):
            raise ValueError(f'initial_strategy: expected random or representative, got {self.initial_strategy!r}')
        if not 0 < self.initial <= self.budget or self.batch < 1:
            raise ValueError(f'initial, batch, budget: need 0 < initial <= budget and batch >= 1, got '
                             f'{self.initial}, {self.batch}, {self.budget}')


def split(labels, config, seed):
    """Shuffled test and pool indices for one seed."""
    order = np.random.default_rng(seed).permutation(len(labels))
    needed = config.test_size + config.pool_size
    if len(order) < config.test_size + config.budget:
        raise ValueError(f'dataset: {len(order)} texts; test_size + budget needs '
                         f'{config.test_size + config.budget}')
    return order[:config.test_size], order[config.test_size:needed]


def initial_indices(texts, pool, config, base_model, seed):
    """Positions in ``pool`` of the first labels."""
    rng = np.random.default_rng(seed)
    if config.initial_strategy == 'random':
        return list(rng.choice(len(pool), config.initial, replace=False))
    scores = cold_start_scores(base_model, [texts[i] for i in pool], config.initial, rng,
                               config.training.max_length, bf16=config.bf16)
    return list(np.argsort(scores, kind='stable')[:config.initial])


def run(texts, labels, base_model, config, seed, strategy, initial, progress=None):
    """One learning curve: a list of round dicts.

    Args:
        texts, labels: the dataset (one label name per text).
        base_model: the encoder to fine-tune.
        config: the :class:`SimulationConfig`.
        seed: the seed of this run.
        strategy: the strategy name.
        initial: positions in the pool of the first labels (shared across strategies).
        progress: called with no argument after each round.
    """
    names = sorted(set(labels))
    test, pool = split(labels, config, seed)
    test_texts = [texts[i] for i in test]
    test_truth = indicators([[labels[i]] for i in test], names)
    labeled = list(initial)
    rng = np.random.default_rng(seed + 1)
    rows, previous = [], None
    while True:
        started = time.monotonic()
        train = [pool[i] for i in labeled]
        predictor = fine_tune(base_model, [texts[i] for i in train], [[labels[i]] for i in train], names,
                              config=replace(config.training, seed=seed),
                              bf16=config.bf16)
        train_seconds = time.monotonic() - started
        probabilities = predictor.predict_proba(test_texts)
        predicted = probabilities.argmax(axis=1)
        metrics = classification_metrics(test_truth, indicators([[names[i]] for i in predicted], names))
        row = {'strategy': strategy, 'seed': seed, 'round': len(rows), 'labels': len(labeled),
               'accuracy': metrics['accuracy'], 'macro_f1': metrics['macro_f1'],
               'agreement': None if previous is None else round(cohen_kappa(previous, predicted), 4),
               'train_seconds': round(train_seconds, 2), 'query_seconds': 0.0}
        previous = predicted
        rows.append(row)
        if progress:
            progress()
        if len(labeled) >= config.budget:
            return rows
        started = time.monotonic()
        unlabeled = np.setdiff1d(np.arange(len(pool)), labeled)
        size = min(config.batch, config.budget - len(labeled), len(unlabeled))
        acquisition = Acquisition(strategy, batch_size=size, labeled_texts=tuple(texts[i] for i in train),
                                  mc_passes=config.mc_passes)
        _, scores = acquisition.score(predictor, [texts[pool[i]] for i in unlabeled], rng)
        labeled.extend(int(unlabeled[i]) for i in np.argsort(scores, kind='stable')[:size])
        row['query_seconds'] = round(time.monotonic() - started, 2)


def rounds_per_run(config):
    """How many rounds one run has (for a progress bar)."""
    return 1 + -(-(config.budget - config.initial) // config.batch)


def full_data_accuracy(texts, labels, base_model, config, seed):
    """Accuracy on the test set after training on the whole pool (the ceiling)."""
    names = sorted(set(labels))
    test, pool = split(labels, config, seed)
    full = replace(config.training, seed=seed, min_steps=0,
                   max_steps=config.training.epochs * -(-len(pool) // config.training.batch_size))
    predictor = fine_tune(base_model, [texts[i] for i in pool], [[labels[i]] for i in pool], names, config=full,
                          bf16=config.bf16)
    predicted = predictor.predict_proba([texts[i] for i in test]).argmax(axis=1)
    return classification_metrics(indicators([[labels[i]] for i in test], names),
                                  indicators([[names[i]] for i in predicted], names))['accuracy']


def summarize(rows, label_counts=LABEL_COUNTS, full_accuracy=None, stop_agreement=None):
    """Per strategy: accuracy at fixed label counts, area under the learning curve, mean ± std over seeds.

    The area is the trapezoid integral of accuracy over the label count,
    divided by the label range: the mean accuracy of the campaign, in [0, 1].
    With the :data:`BASELINE` strategy among the rows, ``aulc_gain`` is each
    area minus the baseline's on the same seed (same split, same initial labels),
    mean ± std: pairing by seed takes the split's share out of the noise.
    With ``full_accuracy``, also the labels each run needed to reach 95 % of it.
    With ``stop_agreement``, also the labels at which each run's stop signal
    (:func:`~strategies.stabilized` at that threshold) first fired.
    """
    curves = {}
    for r in rows:
        curves.setdefault(r['strategy'], {}).setdefault(r['seed'], []).append(r)
    for by_seed in curves.values():
        for curve in by_seed.values():
            curve.sort(key=lambda r: r['labels'])
    areas = {strategy: {seed: _area(curve) for seed, curve in by_seed.items()}
             for strategy, by_seed in curves.items()}
    summary = {}
    for strategy, by_seed in curves.items():
        runs = list(by_seed.values())
        entry = {'seeds': len(runs)}
        for count in label_counts:
            values = [r['accuracy'] for run in runs for r in run if r['labels'] == count]
            if len(values) == len(runs):
                entry[f'acc@{count}'] = _mean_std(values)
        entry['aulc'] = _mean_std(list(areas[strategy].values()))
        paired = [area - areas[BASELINE][seed] for seed, area in areas[strategy].items()
                  if seed in areas.get(BASELINE, {})]
        if paired:
            entry['aulc_gain'] = _mean_std(paired)
        entry['seconds_per_round'] = float(np.mean([r['train_seconds'] + r['query_seconds'] for run in runs
                                                    for r in run]))
        if full_accuracy:
            target = 0.95 * full_accuracy
            entry['labels_to_95'] = [next((r['labels'] for r in run if r['accuracy'] >= target), None)
                                     for run in runs]
        if stop_agreement is not None:
            entry['stop_at'] = [_stop_labels(run, stop_agreement) for run in runs]
        summary[strategy] = entry
    return summary


def _stop_labels(curve, threshold):
    kappas = []
    for r in curve:
        if r['agreement'] is not None:
            kappas.append(r['agreement'])
            if stabilized(kappas, threshold=threshold):
                return r['labels']
    return None


def _mean_std(values):
    return float(np.mean(values)), float(np.std(values))


def _area(curve):
    x = np.array([r['labels'] for r in curve], dtype=float)
    y = np.array([r['accuracy'] for r in curve])
    if len(x) < 2:
        return float(y.mean())
    return float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum() / (x[-1] - x[0]))


def campaigns(texts, labels, base_model, config, skip=frozenset(), progress=None):
    """Run every strategy on every seed; yield each campaign's round dicts as it ends.

    Within a seed, all strategies start from the same split and initial labels.
    Campaigns whose ``(strategy, seed)`` is in ``skip`` are not run.
    """
    for seed in config.seeds:
        strategies = [strategy for strategy in config.strategies if (strategy, seed) not in skip]
        if not strategies:
            continue
        _, pool = split(labels, config, seed)
        initial = initial_indices(texts, pool, config, base_model, seed)
        for strategy in strategies:
            yield run(texts, labels, base_model, config, seed, strategy, initial, progress=progress)
