"""RQ jobs: fine-tune a project's model, and push the new version's scores to Label Studio."""
import hashlib
import logging
import time
import zlib

import numpy as np
from rq import get_current_job

from backend.annotations import AnnotationRejected, example_from
from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.predictions import predict_tasks
from backend.project_state import COLD_START
from backend.scheduler import request_rescore
from backend.settings import Settings
from model import ModelNotFoundError, classification_metrics, fine_tune, in_holdout, indicators
from model.acquisition import cold_start_scores
from strategies import STOP_KAPPA, cohen_kappa, stabilized

logger = logging.getLogger(__name__)

RESCORE_BATCH = 256
"""Predictions pushed to Label Studio per request."""

AGREEMENT_SAMPLE = 1000
"""Unlabeled tasks on which consecutive versions are compared for the stop signal."""



def train_project(project_id):
    """Fine-tune on the project's labeled set, store the version, publish it, queue re-scoring.

    Returns a summary dict (``status`` is ``trained`` or ``skipped``).
    """
    ctx = _context()
    project = ctx.project(project_id)
    lock = ctx.redis.lock(project.key('train_lock'), timeout=ctx.settings.train_timeout,
                          blocking_timeout=ctx.settings.train_timeout)
    if not lock.acquire():
        raise TimeoutError(f'project {project_id}: another training held the lock too long')
    try:
        # From here on, new annotations count towards the next training.
        ctx.redis.delete(project.key('train_job'))
        taken = project.take_pending()
        try:
            summary = _train(ctx, project)
        except BaseException:
            project.restore_pending(taken)
            raise
        if summary['status'] != 'trained':
            project.restore_pending(taken)
        return summary
    finally:
        lock.release()


def rescore_project(project_id, version):
    """Predict every unlabeled task with ``version`` and make Label Studio order by the scores.

    Also measures the stop signal: agreement between this version and the
    previous one on a fixed sample of unlabeled tasks.
    """
    ctx = _context()
    project = ctx.project(project_id)
    if project.current_version() != version:
        return {'status': 'skipped', 'reason': f'{version} is no longer the current version'}
    config = project.label_config()
    label_studio = _label_studio(ctx, project)
    predictor = ctx.models.get(project.id, version)
    rng = np.random.default_rng(zlib.crc32(version.encode()))
    started = time.monotonic()
    tasks = _unlabeled_tasks(label_studio, config)
    # One call over the whole pool: diverse strategies must see every candidate at once.
    predictions = predict_tasks(tasks, config, predictor, version, ctx.acquisition(project), rng,
                                ctx.settings.max_text_chars)
    _push(ctx, project, label_studio, tasks, predictions, version)
    seconds = round(time.monotonic() - started, 2)
    agreement = _agreement(ctx, project, version, predictor, tasks, config)
    project.update_version(version, rescored_tasks=len(tasks), rescore_seconds=seconds, agreement=agreement)
    logger.info('Project %s: pushed %d scores of %s in %.1fs', project.id, len(tasks), version, seconds)
    return {'status': 'rescored', 'version': version, 'tasks': len(tasks), 'seconds': seconds,
            'agreement': agreement}


def cold_start_project(project_id):
    """Before the first label: put representative, diverse tasks first in Label Studio."""
    ctx = _context()
    project = ctx.project(project_id)
    if project.current_version() is not None:
        return {'status': 'skipped', 'reason': 'the project already has a trained version'}
    config = project.label_config()
    label_studio = _label_studio(ctx, project)
    tasks = [t for t in _unlabeled_tasks(label_studio, config) if t['data'][config.field].strip()]
    if not tasks:
        return {'status': 'skipped', 'reason': 'no unlabeled task with text'}
    size = int(ctx.project_setting(project, 'train_every'))
    scores = cold_start_scores(ctx.settings.base_model, [t['data'][config.field] for t in tasks], size,
                               np.random.default_rng(int(project.id)), ctx.settings.max_length,
                               bf16=ctx.settings.inference_bf16)
    predictions = [{'result': [], 'score': round(float(s), 6), 'model_version': COLD_START} for s in scores]
    _push(ctx, project, label_studio, tasks, predictions, COLD_START)
    ctx.redis.set(project.key('cold_start'), 'done')
    logger.info('Project %s: cold start put %d representative tasks first', project.id, min(size, len(tasks)))
    return {'status': 'cold-start', 'tasks': len(tasks), 'first': min(size, len(tasks))}


def _train(ctx, project):
    config = project.label_config()
    if config is None:
        return _skipped(project, 'no label config seen yet (connect the project, or send a webhook)')
    if ctx.settings.label_studio_enabled:
        _sync_examples(ctx, project, config)
    examples = project.examples()
    classes = {choice for example in examples for choice in example['choices']}
    if len(examples) < 2 or (not config.multi_label and len(classes) < 2):
        return _skipped(project, f'{len(examples)} labeled task(s) with {len(classes)} class(es); '
                                 'training needs two classes')
    train, held_out, evaluation_note = _split(ctx.settings, examples, config.multi_label)
    started = time.monotonic()
    predictor = fine_tune(ctx.settings.base_model, [e['text'] for e in train], [e['choices'] for e in train],
                          list(config.labels), multi_label=config.multi_label, config=ctx.training_config(),
                          bf16=ctx.settings.inference_bf16)
    train_seconds = time.monotonic() - started
    metrics = {'evaluated': False, 'reason': evaluation_note}
    if held_out:
        predicted = predictor.choices(predictor.predict_proba([e['text'] for e in held_out]))
        metrics = {'evaluated': True, **classification_metrics(
            indicators([e['choices'] for e in held_out], config.labels), indicators(predicted, config.labels))}
    version = project.new_version_name()
    summary = {
        'version': version,
        'created_at': time.time(),
        'num_train': len(train),
        'num_labeled': len(examples),
        'labels': list(config.labels),
        'multi_label': config.multi_label,
        'base_model': ctx.settings.base_model,
        'train_seconds': round(train_seconds, 2),
        'metrics': metrics,
    }
    ctx.store.save(project.id, version, predictor, summary)
    project.publish(version, summary)
    _prune(ctx, project, version)
    logger.info('Project %s: published %s (%d labels, %.1fs, %s)', project.id, version, len(train),
                train_seconds, metrics)
    if ctx.settings.label_studio_enabled:
        summary['rescore_job'] = request_rescore(ctx, project, version)
    return {'status': 'trained', **summary}


def _split(settings, examples, multi_label):
    """Training examples, held-out examples, and a note on the evaluation.

    Tasks are held out by a hash of their id (``EVAL_FRACTION`` of them), only
    once ``MIN_EVAL_LABELS`` tasks are labeled, and only if the training side
    keeps two classes.
    """
    if settings.eval_fraction == 0:
        return examples, [], 'EVAL_FRACTION is 0'
    if len(examples) < settings.min_eval_labels:
        return examples, [], (f'{len(examples)} labeled tasks; metrics start at MIN_EVAL_LABELS='
                              f'{settings.min_eval_labels}, all labels are used for training until then')
    held = [in_holdout(e['task'], settings.eval_fraction) for e in examples]
    train = [e for e, h in zip(examples, held) if not h]
    held_out = [e for e, h in zip(examples, held) if h]
    train_classes = {c for e in train for c in e['choices']}
    if not held_out or (not multi_label and len(train_classes) < 2):
        return examples, [], 'the held-out split left too little to train or evaluate on'
    return train, held_out, ''


def _sync_examples(ctx, project, config):
    """Replace the labeled set with the annotations Label Studio holds now."""
    examples = {}
    for task in _label_studio(ctx, project).tasks():
        for annotation in task.get('annotations') or ():
            try:
                example = example_from(annotation, task, config, ctx.settings.max_text_chars)
            except AnnotationRejected as error:
                logger.warning('Project %s: sync skipped %s', project.id, error)
                continue
            if example is not None:
                examples[annotation['id']] = example.to_dict()
    project.replace_examples(examples)
    logger.info('Project %s: synced %d annotations from Label Studio', project.id, len(examples))


def _prune(ctx, project, current):
    """Keep the newest ``KEEP_VERSIONS`` versions (the current one always) on disk and in Redis."""
    keep = set(list(project.versions())[-ctx.settings.keep_versions:]) | {current}
    ctx.store.prune(project.id, keep)
    project.forget_versions([v for v in project.versions() if v not in keep])


def _skipped(project, reason):
    logger.info('Project %s: training skipped: %s', project.id, reason)
    return {'status': 'skipped', 'reason': reason}


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


def _agreement(ctx, project, version, predictor, tasks, config):
    """Cohen's kappa between ``version`` and the previous one on a fixed sample of unlabeled tasks.

    The sample is the tasks whose id hashes into :data:`AGREEMENT_SAMPLE`'s
    first slots, so consecutive versions are compared on the same tasks.
    """
    versions = list(project.versions())
    previous = versions[versions.index(version) - 1] if version in versions and versions.index(version) else None
    sample = sorted(tasks, key=lambda t: hashlib.sha256(str(t['id']).encode()).digest())[:AGREEMENT_SAMPLE]
    if previous is None or not sample:
        return None
    try:
        before = ctx.models.get(project.id, previous)
    except ModelNotFoundError:
        return None
    texts = [t['data'][config.field] for t in sample]
    now, then = predictor.predict_proba(texts), before.predict_proba(texts)
    if len(before.card.labels) != len(predictor.card.labels):
        return None
    if predictor.card.multi_label:
        kappa = cohen_kappa((now >= 0.5).ravel().astype(int), (then >= 0.5).ravel().astype(int))
    else:
        kappa = cohen_kappa(now.argmax(axis=1), then.argmax(axis=1))
    history = [s.get('agreement', {}).get('kappa') for v, s in project.versions().items() if v != version
               and s.get('agreement')] + [kappa]
    return {'kappa': round(float(kappa), 4), 'previous': previous, 'num_tasks': len(sample),
            'stop_threshold': STOP_KAPPA, 'stabilized': stabilized(history)}


def _label_studio(ctx, project):
    return LabelStudioProject(ctx.settings.label_studio_url, ctx.settings.label_studio_api_key, project.id)


def _context():
    """A context for the running job, on the job's own Redis connection."""
    return Context.create(Settings.from_env(), get_current_job().connection)
