"""Jobs that push scores to Label Studio: after each version, and before the first label."""
import hashlib
import logging
import time
import zlib

import numpy as np

from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.predictions import predict_tasks
from backend.project_state import COLD_START, VERSION_NAME, VersionStatus
from model import ModelNotFoundError
from strategies import stabilized

logger = logging.getLogger(__name__)

RESCORE_BATCH = 256
"""Predictions pushed to Label Studio per request."""

COLD_START_RECHECK_SECONDS = 60
"""After a cold start found no task to score, ``/setup`` queues the next one after this many seconds."""

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
    task_type = project.task_type()
    label_studio = LabelStudioProject.for_project(ctx, project)
    predictor = ctx.models.get(project.id, version)
    if predictor.card.kind != task_type.NAME:
        reason = f'{version} is a {predictor.card.kind} model; the config is now {task_type.NAME}'
        project.update_version(version, rescore_skipped=reason)
        return {'status': 'skipped', 'reason': reason}
    rng = np.random.default_rng(zlib.crc32(version.encode()))
    started = time.monotonic()
    tasks = _unlabeled_tasks(label_studio, task_type)
    # One call over the whole pool: diverse strategies must see every candidate at once.
    predictions, outputs = predict_tasks(tasks, task_type, predictor, version, ctx.acquisition(project), rng,
                                         ctx.settings.max_text_chars)
    _push(ctx, project, label_studio, tasks, predictions, version)
    deleted = _delete_old_predictions(project, label_studio, version)
    seconds = round(time.monotonic() - started, 2)
    agreement = _agreement(ctx, project, version, predictor, tasks, outputs, task_type)
    project.update_version(version, rescored_tasks=len(tasks), rescore_seconds=seconds, agreement=agreement,
                           deleted_predictions=deleted)
    logger.info('Project %s: pushed %d scores of %s in %.1fs', project.id, len(tasks), version, seconds)
    return {'status': 'rescored', 'version': version, 'tasks': len(tasks), 'seconds': seconds,
            'agreement': agreement}


def cold_start_project(project_id):
    """Before the first label: put representative, diverse tasks first in Label Studio."""
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    if project.current_version() is not None:
        return {'status': 'skipped', 'reason': 'the project already has a trained version'}
    task_type = project.task_type()
    label_studio = LabelStudioProject.for_project(ctx, project)
    max_chars = ctx.settings.max_text_chars
    tasks, texts = [], []
    for task in _unlabeled_tasks(label_studio, task_type):
        text = task_type.input_of(task, max_chars)
        if not task_type.skip_reason(text, max_chars):
            tasks.append(task)
            texts.append(text)
    if not tasks:
        # Tasks may be imported after the backend is connected: look again a little later.
        ctx.redis.set(project.key('cold_start'), 'no-tasks', ex=COLD_START_RECHECK_SECONDS)
        return {'status': 'skipped', 'reason': 'no unlabeled task with usable data'}
    size = int(ctx.project_setting(project, 'train_every'))
    scores = task_type.cold_start_scores(ctx.settings.base_model, texts, size,
                                         np.random.default_rng(int(project.id)), ctx.settings.max_length, ctx.runtime)
    predictions = [{'result': [], 'score': round(float(s), 6), 'model_version': COLD_START} for s in scores]
    if project.current_version() is not None:  # a training finished meanwhile (several workers)
        return {'status': 'skipped', 'reason': 'a trained version was published during the cold start'}
    _push(ctx, project, label_studio, tasks, predictions, COLD_START)
    ctx.redis.set(project.key('cold_start'), 'done')
    logger.info('Project %s: cold start put %d representative tasks first', project.id, min(size, len(tasks)))
    return {'status': 'cold-start', 'tasks': len(tasks), 'first': min(size, len(tasks))}


def _unlabeled_tasks(label_studio, task_type):
    """Unlabeled tasks of the project that show text in the configured field."""
    tasks = []
    for task in label_studio.tasks():
        if task.get('is_labeled') or task.get('total_annotations'):
            continue
        if isinstance((task.get('data') or {}).get(task_type.field), str):
            tasks.append(task)
        else:
            logger.warning('Task %s: no text in data.%s; not scored', task.get('id'), task_type.field)
    return tasks


def _push(ctx, project, label_studio, tasks, predictions, version):
    """Send predictions in chunks, then make ``version`` the one Label Studio orders by."""
    rows = [{**prediction, 'task': task['id']} for task, prediction in zip(tasks, predictions)]
    for start in range(0, len(rows), RESCORE_BATCH):
        label_studio.import_predictions(rows[start:start + RESCORE_BATCH])
    label_studio.use_version(version, bool(ctx.project_setting(project, 'uncertainty_sampling')))


def _delete_old_predictions(project, label_studio, current):
    """Delete from Label Studio the predictions of this backend's versions no longer kept, and the
    cold start's, so that its database does not grow by one row per task and version.

    Returns ``{version: predictions deleted}``. Versions another backend or a
    person named are left alone.
    """
    kept = set(project.versions()) | {current}
    stale = [version for version in label_studio.model_versions()
             if version not in kept and (version == COLD_START or VERSION_NAME.fullmatch(version))]
    return {version: label_studio.delete_predictions(version) for version in stale}


def _agreement(ctx, project, version, predictor, tasks, outputs, task_type):
    """Agreement between ``version`` and the previous one on a fixed sample of unlabeled tasks.

    ``outputs`` are ``version``'s, one per task (None for a skipped task); the
    task type measures the agreement (Cohen's kappa for classes, entity F1 for
    spans). The sample is the predicted tasks whose id hashes into
    :data:`AGREEMENT_SAMPLE`'s first slots, so consecutive versions are
    compared on the same tasks.
    """
    # Versions kept back as worse never served: compare with the one served before.
    summaries = {v: s for v, s in project.versions().items()
                 if v == version or s.get('status') != VersionStatus.REJECTED}
    versions = list(summaries)
    previous = versions[versions.index(version) - 1] if version in versions and versions.index(version) else None
    scored = [i for i, output in enumerate(outputs) if output is not None]
    sample = sorted(scored, key=lambda i: hashlib.sha256(str(tasks[i]['id']).encode()).digest())[:AGREEMENT_SAMPLE]
    if previous is None or not sample:
        return None
    try:
        before = ctx.models.get(project.id, previous)
    except ModelNotFoundError:
        return None
    if not before.card.comparable(predictor.card):
        return None
    now = [outputs[i] for i in sample]
    then = task_type.outputs(before, [task_type.input_of(tasks[i], ctx.settings.max_text_chars) for i in sample])
    value = task_type.agreement(now, then)
    history = [s['agreement']['value'] for v, s in summaries.items() if v != version and s.get('agreement')]
    history.append(value)
    return {'measure': task_type.AGREEMENT, 'value': round(float(value), 4), 'previous': previous,
            'num_tasks': len(sample),
            'stop_threshold': ctx.settings.stop_agreement,
            'stabilized': stabilized(history, threshold=ctx.settings.stop_agreement)}
