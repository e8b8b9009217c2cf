"""How well annotators agree: Krippendorff's alpha over every annotator, per pair, and each annotator's
agreement with the consensus and with the model."""
from collections import Counter
from itertools import combinations

import krippendorff
import numpy as np


def alpha(labels_by_annotator):
    """Krippendorff's alpha (nominal) of ``{annotator: {task: label key}}``, from the tasks two or more
    annotated (alpha leaves the others out); None where it is undefined: no such task, or a single label
    given throughout them."""
    annotations = Counter(task for labels in labels_by_annotator.values() for task in labels)
    tasks = sorted(task for task, count in annotations.items() if count >= 2)
    keys = sorted({labels[task] for labels in labels_by_annotator.values() for task in tasks if task in labels})
    if len(keys) < 2:
        return None
    code = {key: float(number) for number, key in enumerate(keys)}
    data = np.array([[code[labels[task]] if task in labels else np.nan for task in tasks]
                     for labels in labels_by_annotator.values()])
    value = float(krippendorff.alpha(reliability_data=data, level_of_measurement='nominal'))
    return value if np.isfinite(value) else None


def agreement_report(annotations, consensus, model):
    """Agreement figures of a labeled set.

    Args:
        annotations: ``[(annotator, task, label key)]``, one per annotation.
        consensus: ``{task: label key}`` of the tasks annotated more than once.
        model: ``{task: label key}`` the model suggests, out of sample.

    Returns:
        A JSON dict: ``alpha`` over every annotator, ``pairs`` (alpha and the share of identical labels on
        the tasks both labeled) and ``annotators`` (their annotations, and the share of them that match the
        consensus and the model).
    """
    by_annotator = {}
    for annotator, task, key in annotations:
        by_annotator.setdefault(annotator, {})[task] = key
    pairs = []
    for a, b in combinations(sorted(by_annotator, key=str), 2):
        shared = by_annotator[a].keys() & by_annotator[b].keys()
        if shared:
            pair = {a: by_annotator[a], b: by_annotator[b]}
            pairs.append({'annotators': [a, b], 'tasks': len(shared), 'alpha': _rounded(alpha(pair)),
                          'agreement': _share(by_annotator[a], by_annotator[b], shared)})
    people = [{'annotator': who, 'annotations': len(labels),
               'tasks_shared': len(labels.keys() & consensus.keys()),
               'with_consensus': _share(labels, consensus, labels.keys() & consensus.keys()),
               'with_model': _share(labels, model, labels.keys() & model.keys())}
              for who, labels in sorted(by_annotator.items(), key=lambda item: str(item[0]))]
    return {'alpha': _rounded(alpha(by_annotator)), 'tasks_annotated_twice_or_more': len(consensus),
            'pairs': pairs, 'annotators': people}


def _share(labels, other, tasks):
    """The share of ``tasks`` on which both give the same label (None for no task)."""
    return round(sum(labels[t] == other[t] for t in tasks) / len(tasks), 4) if tasks else None


def _rounded(value):
    return None if value is None else round(value, 4)
