"""Predictions in Label Studio's shape: pre-annotation, score and model version."""
import zlib

import numpy as np

from strategies import random_scores

SKIPPED_SCORE = 1.0
"""Score of a task that gets no prediction (empty or too long): it comes last."""


def predict_tasks(tasks, task_type, predictor, version, acquisition, rng, reader):
    """One prediction per task, in task order, and the model's outputs.

    Args:
        tasks: Label Studio task dicts (``id``, ``data``).
        task_type: the project's :class:`~model.task_types.TaskType`.
        predictor: the current version's predictor, or None before the first
            training: then no pre-annotation is made and scores are random,
            which is random sampling until a model exists.
        version: the ``model_version`` the predictions carry.
        acquisition: the :class:`~model.acquisition.Acquisition` that turns
            the model's outputs into scores.
        rng: a ``numpy.random.Generator`` for the random strategy.
        reader: the :class:`~model.task_types.Reader` of task data.

    Returns:
        ``(predictions, outputs)``: the prediction dicts (a skipped task's, empty
        or unreadable, says why under ``skipped``), and per task what
        :meth:`~model.task_types.TaskType.agreement` compares, None for a skipped
        task (all None without a predictor).

    Raises:
        AnnotationRejected: a task without the configured data field.
    """
    inputs, reasons = task_type.read(tasks, reader)
    predictions = [{'result': [], 'score': SKIPPED_SCORE, 'model_version': version,
                    **({'skipped': reason} if reason else {})} for reason in reasons]
    outputs = [None] * len(tasks)
    kept = [i for i, reason in enumerate(reasons) if not reason]
    if not kept:
        return predictions, outputs
    if predictor is None:
        scores, results = random_scores(len(kept), rng), [[] for _ in kept]
    else:
        results, scores, found = task_type.predict(predictor, [inputs[i] for i in kept], acquisition, rng)
        for i, output in zip(kept, found):
            outputs[i] = output
    for i, task_score, result in zip(kept, scores, results):
        predictions[i] = {'result': result, 'score': round(float(task_score), 6), 'model_version': version}
    return predictions, outputs


def request_rng(project_id, version, tasks):
    """A generator seeded by the request, so asking twice gives the same random scores."""
    first = tasks[0].get('id') if tasks and isinstance(tasks[0], dict) else None
    return np.random.default_rng(zlib.crc32(f'{project_id}:{version}:{first}:{len(tasks)}'.encode()))
