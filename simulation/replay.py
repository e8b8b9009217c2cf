"""Replay the active-learning loop on an already-labeled dataset (``lsal simulate``).

The same task type (:class:`~model.task_type.TaskType`: fine-tuning,
evaluation, agreement) and the same scoring (:class:`~model.acquisition.Acquisition`)
that serve Label Studio run here: a simulated annotator labels the ``batch``
lowest-scored pool texts each round. A dataset is a list of training examples
as the task type stores them (``{"task", "text", "choices"}``, ``{"task", "text", "spans"}``
or ``{"task", "image", "choices"}``), :meth:`~model.task_type.TaskType.loaded`.
"""
import json
import time
from dataclasses import dataclass, field, replace

import numpy as np

from model.acquisition import MC_PASSES, Acquisition, cold_start_scores
from model.device import Runtime
from model.label_quality import averaged
from model.training import TrainingConfig
from strategies import DEFAULT_STRATEGY, label_studio_order, stabilized, strategy_at

LABEL_COUNTS = (50, 100, 200, 300, 400, 500)
"""Label counts at which the summary table reports the metric."""

TARGET_FRACTION = 0.95
"""The summary counts the labels each run needed to reach this fraction of the full-pool metric."""

BASELINE = 'random'
"""The strategy every other one is compared with, seed by seed."""

CURVES = ('macro_f1', 'rare_f1')
"""Per-round figures that also get an area under their curve, paired with the baseline's, where the rows
have them (besides the summary's ``metric``)."""

AT_COUNTS = ('macro_f1', 'rare_found', 'rare_f1', 'rare_recall', 'suspect_precision', 'suspect_recall')
"""Per-round figures the summary also gives at its label counts, where the rows have them."""


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
        flip_fraction: the share of the pool whose label is made wrong before the run (:func:`flip_labels`);
            then each round also measures how well the labels judged most likely wrong find them
            (:func:`judge`).
        leave_out_below: with flipped labels, each round trains without the suspects the round before
            judged of quality below this (``LEAVE_OUT_BELOW``; 0: none).
        rare: ``(class, fraction)`` pairs: each class is cut to that share of the pool and of the test set
            (:func:`split`); each round then also records how many of them are labeled (``rare_found``) and
            their mean test F1 and recall.
        clusters: each round's batch is the tasks Label Studio's uncertainty sampling serves when every
            prediction carries a ``cluster`` (:meth:`~model.task_type.TaskType.cluster_of`: the predicted class),
            one at a time (:func:`~strategies.label_studio_order`), instead of the lowest scores.
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
    flip_fraction: float = 0.0
    leave_out_below: float = 0.0
    rare: tuple = ()
    clusters: bool = False

    def __post_init__(self):
        fractions = [fraction for _, fraction in self.rare]
        if not all(0 < fraction < 1 for fraction in fractions) or sum(fractions) >= 1:
            raise ValueError(f'rare: expected fractions between 0 and 1, together below 1, got {fractions}')
        if len({name for name, _ in self.rare}) < len(self.rare):
            raise ValueError(f'rare: a class named twice in {[name for name, _ in self.rare]}')
        if not 0 <= self.flip_fraction < 1 or not 0 <= self.leave_out_below < 1:
            raise ValueError(f'flip_fraction, leave_out_below: expected numbers from 0 to below 1, got '
                             f'{self.flip_fraction}, {self.leave_out_below}')
        if self.leave_out_below and not self.flip_fraction:
            raise ValueError('leave_out_below: judging labels in a simulation needs flipped ones (flip_fraction)')
        if self.initial_strategy not in ('random', 'representative'):
            raise ValueError(f'initial_strategy: expected random or representative, got {self.initial_strategy!r}')
        if not 0 < self.initial <= self.budget or self.batch < 1:
            raise ValueError(f'initial, batch, budget: need 0 < initial <= budget and batch >= 1, got '
                             f'{self.initial}, {self.batch}, {self.budget}')

    @property
    def runtime(self):
        """The CPU :class:`~model.device.Runtime`, with bfloat16 inference if asked for."""
        return Runtime(inference_bf16=self.bf16)

    def check_size(self, num_examples):
        """Raise ``ValueError`` unless a dataset of ``num_examples`` holds the test set and the budget."""
        if num_examples < self.test_size + self.budget:
            raise ValueError(f'dataset: {num_examples} texts; test_size + budget need '
                             f'{self.test_size + self.budget}')


def split(num_examples, config, seed, classes=None):
    """Shuffled test and pool indices for one seed.

    With ``config.rare``, ``classes`` gives each example's class, and each rare class makes up its fraction
    of the test set and of the pool (rounded); the other classes keep their shares among the rest.

    Raises:
        ValueError: the dataset is too small for the test set and budget, or for the rare classes asked.
    """
    config.check_size(num_examples)
    order = np.random.default_rng(seed).permutation(num_examples)
    if not config.rare:
        return order[:config.test_size], order[config.test_size:config.test_size + config.pool_size]
    pool_size = min(config.pool_size, num_examples - config.test_size)
    rare = dict(config.rare)
    members = {name: [i for i in order if classes[i] == name] for name in rare}
    common = [i for i in order if classes[i] not in rare]
    position = {index: rank for rank, index in enumerate(order)}
    parts = []
    for size in (config.test_size, pool_size):
        quotas = {name: round(fraction * size) for name, fraction in rare.items()}
        short = [f'{name} at {rare[name]:g} of {size} rounds to none' if not quotas[name] else
                 f'{name} has {len(members[name])} left, {quotas[name]} needed' for name in rare
                 if not 0 < quotas[name] <= len(members[name])]
        if short or size - sum(quotas.values()) > len(common):
            raise ValueError(f'rare: a test set of {config.test_size} and a pool of {pool_size} need more '
                             f'examples: {"; ".join(short) or f"{len(common)} of the other classes"}')
        chosen = [i for name in rare for i in members[name][:quotas[name]]]
        chosen += common[:size - len(chosen)]
        for name in rare:
            members[name] = members[name][quotas[name]:]
        common = common[size - sum(quotas.values()):]
        parts.append(np.array(sorted(chosen, key=position.get), dtype=order.dtype))
    return parts[0], parts[1]


def split_of(task_type, examples, config, seed):
    """:func:`split` of a dataset."""
    classes = [task_type.class_of(e) for e in examples] if config.rare else None
    return split(len(examples), config, seed, classes)


def class_counts(task_type, examples):
    """How many of ``examples`` each of the type's classes has (a dict in label order), or None where
    the type has no class per example."""
    if not examples or task_type.class_of(examples[0]) is None:
        return None
    return dict(zip(task_type.labels, task_type.label_counts(examples)))


def rare_figures(counts, metrics, rare):
    """The round's figures on the ``rare`` classes: how many are labeled (``counts``, a dict of
    :func:`class_counts`), and their mean test F1 and recall (from the task type's ``metrics``)."""
    f1, recall = metrics.get('f1_per_label', {}), metrics.get('recall_per_label', {})
    return {'rare_found': sum(counts[name] for name in rare),
            'rare_f1': round(float(np.mean([f1.get(name, 0.0) for name in rare])), 4),
            'rare_recall': round(float(np.mean([recall.get(name, 0.0) for name in rare])), 4)}


def initial_indices(task_type, examples, pool, config, base_model, seed):
    """Positions in ``pool`` of the first labels."""
    rng = np.random.default_rng(seed)
    if config.initial_strategy == 'random':
        return list(rng.choice(len(pool), config.initial, replace=False))
    embed = task_type.pretrained_embedder(base_model, config.training, config.runtime)
    scores = cold_start_scores(embed([task_type.model_input(examples[i]) for i in pool]), config.initial, rng)
    return list(np.argsort(scores, kind='stable')[:config.initial])


def flip_labels(task_type, examples, pool, fraction, seed):
    """``examples`` with the labels of ``fraction`` of the ``pool`` positions made wrong
    (:meth:`~model.task_type.TaskType.flipped`), reproducibly per seed; and the flipped dataset indices."""
    rng = np.random.default_rng([seed, 7])
    flippable = [int(i) for i in pool if task_type.flippable(examples[i])]
    count = round(fraction * len(pool))
    if count > len(flippable):
        raise ValueError(f'flip_fraction {fraction}: {count} labels to make wrong, but only {len(flippable)} of the '
                         f'pool\'s {len(pool)} have one to change')
    chosen = {flippable[i] for i in rng.choice(len(flippable), count, replace=False)}
    return [task_type.flipped(e, rng) if i in chosen else e for i, e in enumerate(examples)], chosen


def judge(task_type, examples, outputs, flipped, leave_out_below=0.0):
    """How well the labels ranked most likely wrong find the ``flipped`` ones (a bool per example), and
    which examples training leaves out next: the suspects of quality below ``leave_out_below``.

    ``outputs`` are out-of-sample: one each, of a model that never trained on it. With k labels flipped,
    ``suspect_precision`` is the share of flipped labels among the k of lowest quality, ``suspect_recall``
    the share of the k found among the 2k of lowest quality; ``suspects`` counts the labels confident
    learning calls wrong.

    Returns:
        ``(figures, left out)``: a dict for the round's row, and positions in ``examples``.
    """
    quality, issue, _ = task_type.label_issues(outputs, examples)
    left_out = [int(i) for i in np.flatnonzero(issue) if quality[i] < leave_out_below]
    order = np.argsort(quality, kind='stable')
    wrong = set(np.flatnonzero(flipped).tolist())
    k = len(wrong)
    found = {'flipped': k, 'suspects': int(np.sum(issue)), 'suspect_precision': None, 'suspect_recall': None,
             'left_out': len(left_out), 'left_out_flipped': len(wrong & set(left_out))}
    if k:
        found['suspect_precision'] = round(len(wrong & set(order[:k].tolist())) / k, 4)
        found['suspect_recall'] = round(len(wrong & set(order[:2 * k].tolist())) / k, 4)
    return found, left_out


class OutOfSample:
    """Out-of-sample outputs of the labeled pool positions in one run, as the backend's quality job finds
    them: the last prediction of a position while it was unlabeled (every label after the first round),
    averaged, where the task type cross-validates (then every label is judged), with two cross-validations:
    on the pretrained embeddings and on the round's model's."""

    def __init__(self, task_type, examples, pool, embed, seed):
        self.task_type, self.examples, self.pool, self.embed, self.seed = task_type, examples, pool, embed, seed
        self.kept = {}
        self._features = {}

    def keep(self, positions, outputs):
        self.kept.update(zip(positions, outputs))

    def outputs(self, labeled, predictor):
        """``(positions judged, their outputs)``; ``predictor`` is the round's model."""
        if not self.task_type.CROSS_VALIDATES:
            judged = [i for i in labeled if i in self.kept]
            return judged, [self.kept[i] for i in judged]
        inputs = [self.task_type.model_input(self.examples[self.pool[i]]) for i in labeled]
        new = [(i, x) for i, x in zip(labeled, inputs) if i not in self._features]
        if new:
            self._features.update(zip([i for i, _ in new], self.embed([x for _, x in new])))
        examples = [self.examples[self.pool[i]] for i in labeled]
        pretrained = self.task_type.cross_validated_outputs(np.stack([self._features[i] for i in labeled]),
                                                            examples, seed=self.seed)
        tuned = self.task_type.cross_validated_outputs(np.asarray(predictor.embed(inputs)), examples, seed=self.seed)
        return labeled, [averaged(self.kept.get(i), *outputs) for i, *outputs in zip(labeled, pretrained, tuned)]


def run(task_type, examples, base_model, config, seed, strategy, initial, progress=None, flipped=None,
        parts=None):
    """One learning curve: a list of round dicts (the task type's metrics, agreement, timings).

    Args:
        task_type: the :class:`~model.task_types.TaskType` of the examples.
        examples: the labeled dataset, as training examples.
        base_model: the encoder to fine-tune.
        config: the :class:`SimulationConfig`.
        seed: the seed of this run.
        strategy: the strategy name.
        initial: positions in the pool of the first labels (shared across strategies).
        progress: called with no argument after each round.
        flipped: dataset indices whose label :func:`flip_labels` made wrong; each round then adds
            :func:`judge`'s figures.
        parts: the ``(test, pool)`` indices of :func:`split` (default: split ``examples``; a run with
            flipped labels splits the clean ones).
    """
    test, pool = parts or split_of(task_type, examples, config, seed)
    out_of_sample = None
    if flipped is not None:
        embed = (task_type.pretrained_embedder(base_model, config.training, config.runtime)
                 if task_type.CROSS_VALIDATES else None)
        out_of_sample = OutOfSample(task_type, examples, pool, embed, seed)
    test_examples = [examples[i] for i in test]
    test_inputs = [task_type.model_input(e) for e in test_examples]
    training = replace(config.training, seed=seed)
    labeled = list(initial)
    rng = np.random.default_rng(seed + 1)
    rows, previous, left_out, solved = [], None, set(), {}
    while True:
        started = time.monotonic()
        train = [examples[pool[i]] for i in labeled if i not in left_out]
        predictor = task_type.fine_tune(base_model, train, training, config.runtime)
        train_seconds = time.monotonic() - started
        outputs = task_type.outputs(predictor, test_inputs)
        metrics = task_type.metrics(outputs, test_examples)
        row = {'strategy': strategy, 'seed': seed, 'round': len(rows), 'labels': len(labeled),
               **{name: metrics[name] for name in task_type.CURVE_METRICS},
               'agreement': None if previous is None else round(task_type.agreement(outputs, previous), 4),
               'train_seconds': round(train_seconds, 2), 'query_seconds': 0.0}
        previous = outputs
        counts = class_counts(task_type, [examples[pool[i]] for i in labeled])
        if counts is not None:
            row['class_counts'] = json.dumps(counts)
            if config.rare:
                row.update(rare_figures(counts, metrics, [name for name, _ in config.rare]))
        if out_of_sample is not None:
            judged, outputs = out_of_sample.outputs(labeled, predictor)
            found, suspects = judge(task_type, [examples[pool[i]] for i in judged], outputs,
                                    [pool[i] in flipped for i in judged], config.leave_out_below)
            row.update(found)
            left_out = {judged[i] for i in suspects}
        rows.append(row)
        if progress:
            progress()
        if len(labeled) >= config.budget:
            return rows
        started = time.monotonic()
        unlabeled = np.setdiff1d(np.arange(len(pool)), labeled)
        size = min(config.batch, config.budget - len(labeled), len(unlabeled))
        acquisition = Acquisition(strategy_at(strategy, len(labeled)), batch_size=size,
                                  mc_passes=config.mc_passes).with_labeled(task_type, train)
        inputs = [task_type.model_input(examples[pool[i]]) for i in unlabeled]
        if out_of_sample is None and not config.clusters:
            _, scores = task_type.score(predictor, inputs, acquisition, rng)
        else:
            _, scores, pool_outputs = task_type.predict(predictor, inputs, acquisition, rng)
            if out_of_sample is not None:
                out_of_sample.keep(unlabeled.tolist(), pool_outputs)
        chosen = np.argsort(scores, kind='stable')[:size]
        if config.clusters:
            clusters = [task_type.cluster_of(output) for output in pool_outputs]
            chosen = label_studio_order(scores, clusters, solved, size)
            for i in chosen:
                solved[clusters[i]] = solved.get(clusters[i], 0) + 1
        labeled.extend(int(unlabeled[i]) for i in chosen)
        row['query_seconds'] = round(time.monotonic() - started, 2)


def rounds_per_run(config):
    """How many rounds one run has (for a progress bar)."""
    return 1 + -(-(config.budget - config.initial) // config.batch)


def full_pool_metric(task_type, examples, base_model, config, seed):
    """The task type's :attr:`~model.task_types.TaskType.METRIC` on the test set after training on
    the whole pool (the ceiling)."""
    test, pool = split_of(task_type, examples, config, seed)
    full = replace(config.training, seed=seed, min_steps=0,
                   max_steps=config.training.epochs * -(-len(pool) // config.training.batch_size))
    predictor = task_type.fine_tune(base_model, [examples[i] for i in pool], full, config.runtime)
    return task_type.evaluate(predictor, [examples[i] for i in test])[task_type.METRIC]


def summarize(rows, metric='accuracy', label_counts=LABEL_COUNTS, full_metric=None, target_fraction=TARGET_FRACTION,
              stop_agreement=None):
    """Per strategy: ``metric`` at fixed label counts, area under its learning curve, mean ± std over seeds.

    The area is the trapezoid integral of ``metric`` over the label count,
    divided by the label range: the campaign's mean, in [0, 1] (keys
    ``<metric>@<count>``, ``aulc``).
    With the :data:`BASELINE` strategy among the rows, ``aulc_gain`` is each
    area minus the baseline's on the same seed (same split, same initial labels),
    mean ± std: pairing by seed takes the split's share out of the noise.
    With ``full_metric``, also the labels each run needed to reach
    ``target_fraction`` of it (``labels_to_target``).
    With ``stop_agreement``, also the labels at which each run's stop signal
    (:func:`~strategies.stabilized` at that threshold) first fired.
    Where rows have them: the :data:`CURVES` figures' areas (``<name>_aulc``, ``<name>_aulc_gain``), the
    :data:`AT_COUNTS` figures at the label counts (``<name>@<count>``), and the rare examples found against
    the baseline's on the same seeds (``rare_found_ratio@<count>``: their sums' ratio).
    """
    curves = {}
    for r in rows:
        curves.setdefault(r['strategy'], {}).setdefault(r['seed'], []).append(r)
    for by_seed in curves.values():
        for curve in by_seed.values():
            curve.sort(key=lambda r: r['labels'])
    named = ((metric, ''), *((name, f'{name}_') for name in CURVES))
    baseline_areas = {name: _areas(curves.get(BASELINE, {}), name) for name, _ in named}
    summary = {}
    for strategy, by_seed in curves.items():
        runs = list(by_seed.values())
        entry = {'seeds': len(runs)}
        for count in label_counts:
            for name in (metric, *AT_COUNTS):
                values = [r[name] for run in runs for r in run if r['labels'] == count and r.get(name) is not None]
                if values and len(values) == len(runs):
                    entry[f'{name}@{count}'] = _mean_std(values)
            found = _at(by_seed, 'rare_found', count)
            baseline = _at(curves.get(BASELINE, {}), 'rare_found', count)
            paired = [seed for seed in found if seed in baseline]
            if paired and sum(baseline[seed] for seed in paired):
                entry[f'rare_found_ratio@{count}'] = (sum(found[seed] for seed in paired)
                                                      / sum(baseline[seed] for seed in paired))
        for name, prefix in named:
            areas = _areas(by_seed, name)
            if areas:
                entry[f'{prefix}aulc'] = _mean_std(list(areas.values()))
                baseline = baseline_areas[name]
                paired = [area - baseline[seed] for seed, area in areas.items() if seed in baseline]
                if paired:
                    entry[f'{prefix}aulc_gain'] = _mean_std(paired)
        entry['seconds_per_round'] = float(np.mean([r['train_seconds'] + r['query_seconds'] for run in runs
                                                    for r in run]))
        if full_metric:
            target = target_fraction * full_metric
            entry['labels_to_target'] = [next((r['labels'] for r in run if r[metric] >= target), None)
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


def _areas(by_seed, name):
    """The area under each seed's curve of ``name``; none unless every round has it."""
    if not all(r.get(name) is not None for curve in by_seed.values() for r in curve):
        return {}
    return {seed: area(curve, name) for seed, curve in by_seed.items()}


def _at(by_seed, name, count):
    """Each seed's ``name`` at ``count`` labels, where it has it."""
    return {seed: r[name] for seed, curve in by_seed.items() for r in curve
            if r['labels'] == count and r.get(name) is not None}


def _mean_std(values):
    return float(np.mean(values)), float(np.std(values))


def area(curve, metric):
    """The trapezoid area under ``metric`` over a campaign's round dicts, per label of its range."""
    x = np.array([r['labels'] for r in curve], dtype=float)
    y = np.array([r[metric] for r in curve])
    if len(x) < 2:
        return float(y.mean())
    return float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum() / (x[-1] - x[0]))


def campaigns(task_type, examples, base_model, config, skip=frozenset(), progress=None):
    """Run every strategy on every seed; yield each campaign's round dicts as it ends.

    Within a seed, all strategies start from the same split and initial labels.
    Campaigns whose ``(strategy, seed)`` is in ``skip`` are not run.
    """
    for seed in config.seeds:
        strategies = [strategy for strategy in config.strategies if (strategy, seed) not in skip]
        if not strategies:
            continue
        parts = split_of(task_type, examples, config, seed)
        pool = parts[1]
        initial = initial_indices(task_type, examples, pool, config, base_model, seed)
        noisy, flipped = examples, None
        if config.flip_fraction:
            noisy, flipped = flip_labels(task_type, examples, pool, config.flip_fraction, seed)
        for strategy in strategies:
            yield run(task_type, noisy, base_model, config, seed, strategy, initial, progress=progress,
                      flipped=flipped, parts=parts)
