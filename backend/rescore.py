"""Jobs that push scores to Label Studio: after each version, and before the first label."""
import hashlib
import logging
import time
import zlib

import numpy as np

from backend.annotations import task_text
from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.predictions import predict_tasks
from backend.project_state import COLD_START
from model import ModelNotFoundError
from model.acquisition import cold_start_scores
from strategies import cohen_kappa, stabilized

logger = logging.getLogger(__name__)

RESCORE_BATCH = 256
"""Predictions pushed to Label Studio per request."""

AGREEMENT_SAMPLE = 1000
"""Unlabeled tasks on which consecutive versions are compared for the stop signal."""


def rescore_project(project_id, version):
    """Predict every unlabeled task with ``version`` and make Label Studio order by the scores.

    Also measures the stop signal: agreement between this version and the
    previous one on a fixed sample of unlabeled tasks.
    """
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    if project.current_version() != version:
        return {'status': 'skipped', 'reason': f'{version} is no longer the current version'}
    config = project.label_config()
    label_studio = LabelStudioProject.for_project(ctx, project)
    predictor = ctx.models.get(project.id, version)
    rng = np.random.default_rng(zlib.crc32(version.encode()))
    started = time.monotonic()
    tasks = _unlabeled_tasks(label_studio, config)
    # One call over the whole pool: diverse strategies must see every candidate at once.
    predictions, probabilities = predict_tasks(tasks, config, predictor, version, ctx.acquisition(project), rng,
                                               ctx.settings.max_text_chars)
    _push(ctx, project, label_studio, tasks, predictions, version)
    seconds = round(time.monotonic() - started, 2)
    agreement = _agreement(ctx, project, version, predictor, tasks, probabilities, config)
    project.update_version(version, rescored_tasks=len(tasks), rescore_seconds=seconds, agreement=agreement)
    logger.info('Project %s: pushed %d scores of %s in %.1fs', project.id, len(tasks), version, seconds)
    return {'status': 'rescored', 'version': version, 'tasks': len(tasks), 'seconds': seconds,
            'agreement': agreement}


def cold_start_project(project_id):
    """Before the first label: put representative, diverse tasks first in Label Studio."""
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    if project.current_version() is not None:
        return {'status': 'skipped', 'reason': 'the project already has a trained version'}
    config = project.label_config()
    label_studio = LabelStudioProject.for_project(ctx, project)
    tasks = [t for t in _unlabeled_tasks(label_studio, config) if t['data'][config.field].strip()]
    if not tasks:
        return {'status': 'skipped', 'reason': 'no unlabeled task with text'}
    size = int(ctx.project_setting(project, 'train_every'))
    texts = [t['data'][config.field][:ctx.settings.max_text_chars] for t in tasks]
    scores = cold_start_scores(ctx.settings.base_model, texts, size,
                               np.random.default_rng(int(project.id)), ctx.settings.max_length,
                               bf16=ctx.settings.inference_bf16)
    predictions = [{'result': [], 'score': round(float(s), 6), 'model_version': COLD_START} for s in scores]
    if project.current_version() is not None:  # a training finished meanwhile (several workers)
        return {'status': 'skipped', 'reason': 'a trained version was published during the cold start'}
    _push(ctx, project, label_studio, tasks, predictions, COLD_START)
    ctx.redis.set(project.key('cold_start'), 'done')
    logger.info('Project %s: cold start put %d representative tasks first', project.id, min(size, len(tasks)))
    return {'status': 'cold-start', 'tasks': len(tasks), 'first': min(size, len(tasks))}


def _unlabeled_tasks(label_studio, config):
    """Unlabeled tasks of the project that show text in the configured field."""
    tasks = []
    for task in label_studio.tasks():
        if task.get('is_labeled') or task.get('total_annotations'):
            continue
        if isinstance((task.get('data') or {}).get(config.field), str):
            tasks.append(task)
        else:
            logger.warning('Task %s: no text in data.%s; not scored', task.get('id'), config.field)
    return tasks


def _push(ctx, project, label_studio, tasks, predictions, version):
    """Send predictions in chunks, then make ``version`` the one Label Studio orders by."""
    rows = [{**prediction, 'task': task['id']} for task, prediction in zip(tasks, predictions)]
    for start in range(0, len(rows), RESCORE_BATCH):
        label_studio.import_predictions(rows[start:start + RESCORE_BATCH])
    label_studio.use_version(version, bool(ctx.project_setting(project, 'uncertainty_sampling')))


def _agreement(ctx, project, version, predictor, tasks, probabilities, config):
    """Cohen's kappa between ``version`` and the previous one on a fixed sample of unlabeled tasks.

    ``probabilities`` are ``version``'s, one row per task (NaN for empty
    text). The sample is the tasks with text whose id hashes into
    :data:`AGREEMENT_SAMPLE`'s first slots, so consecutive versions are
    compared on the same tasks.
    """
    summaries = project.versions()
    versions = list(summaries)
    previous = versions[versions.index(version) - 1] if version in versions and versions.index(version) else None
    scored = np.flatnonzero(~np.isnan(probabilities[:, 0]))
    sample = sorted(scored, key=lambda i: hashlib.sha256(str(tasks[i]['id']).encode()).digest())[:AGREEMENT_SAMPLE]
    if previous is None or not sample:
        return None
    try:
        before = ctx.models.get(project.id, previous)
    except ModelNotFoundError:
        return None
    if len(before.card.labels) != len(predictor.card.labels):
        return None
    now = probabilities[sample]
    then = before.predict_proba([task_text(tasks[i], config, ctx.settings.max_text_chars) for i in sample])
    if predictor.card.multi_label:
        kappa = cohen_kappa((now >= 0.5).ravel().astype(int), (then >= 0.5).ravel().astype(int))
    else:
        kappa = cohen_kappa(now.argmax(axis=1), then.argmax(axis=1))
    history = [s['agreement']['kappa'] for v, s in summaries.items() if v != version and s.get('agreement')]
    history.append(kappa)
    return {'kappa': round(float(kappa), 4), 'previous': previous, 'num_tasks': len(sample),
            'stop_threshold': ctx.settings.stop_agreement,
            'stabilized': stabilized(history, threshold=ctx.settings.stop_agreement)}
