"""Predictions in Label Studio's shape: pre-annotation, score and model version."""
import zlib

import numpy as np

from backend.annotations import task_text
from strategies import random_scores

EMPTY_TEXT_SCORE = 1.0
"""Score of a task with empty text: there is nothing to learn from it, so it comes last."""


def predict_tasks(tasks, config, predictor, version, acquisition, rng, max_chars):
    """One prediction per task, in task order, and the model's class probabilities.

    Args:
        tasks: Label Studio task dicts (``id``, ``data``).
        config: the project's :class:`~backend.label_config.ChoicesConfig`.
        predictor: the current :class:`~model.Predictor`, or None before the
            first training: then no pre-annotation is made and scores are
            random, which is random sampling until a model exists.
        version: the ``model_version`` the predictions carry.
        acquisition: the :class:`~model.acquisition.Acquisition` that turns
            the model's outputs into scores.
        rng: a ``numpy.random.Generator`` for the random strategy.
        max_chars: texts are cut at this many characters.

    Returns:
        ``(predictions, probabilities)``: the prediction dicts, and an array of
        shape ``(len(tasks), num_classes)`` with NaN rows for empty texts (None
        without a predictor).

    Raises:
        AnnotationRejected: a task without the configured text field.
    """
    texts = [task_text(task, config, max_chars) for task in tasks]
    predictions = [{'result': [], 'score': EMPTY_TEXT_SCORE, 'model_version': version} for _ in tasks]
    filled = [i for i, text in enumerate(texts) if text.strip()]
    probabilities = None if predictor is None else np.full((len(tasks), len(predictor.card.labels)), np.nan)
    if not filled:
        return predictions, probabilities
    if predictor is None:
        scores, results = random_scores(len(filled), rng), [[] for _ in filled]
    else:
        inference, scores = acquisition.score(predictor, [texts[i] for i in filled], rng)
        results = [_result(config, choices) for choices in predictor.choices(inference.probabilities)]
        probabilities[filled] = inference.probabilities
    for i, task_score, result in zip(filled, scores, results):
        predictions[i] = {'result': result, 'score': round(float(task_score), 6), 'model_version': version}
    return predictions, probabilities


def _result(config, choices):
    """Pre-annotation of the choices the config still offers (labels may have been removed)."""
    kept = [choice for choice in choices if choice in config.labels]
    return config.result(kept) if kept else []


def request_rng(project_id, version, tasks):
    """A generator seeded by the request, so asking twice gives the same random scores."""
    first = tasks[0].get('id') if tasks and isinstance(tasks[0], dict) else None
    return np.random.default_rng(zlib.crc32(f'{project_id}:{version}:{first}:{len(tasks)}'.encode()))
