"""RQ jobs: fine-tune a project's model, and push the new version's scores to Label Studio."""
import logging
import time
import zlib

import numpy as np
from rq import get_current_job

from backend.annotations import AnnotationRejected, example_from
from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.predictions import predict_tasks
from backend.scheduler import request_rescore
from backend.settings import Settings
from model import classification_metrics, fine_tune, in_holdout, indicators

logger = logging.getLogger(__name__)

RESCORE_BATCH = 256
"""Tasks predicted and pushed to Label Studio per request while re-scoring."""


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
    """Predict every unlabeled task with ``version`` and make Label Studio order by the scores."""
    ctx = _context()
    project = ctx.project(project_id)
    if project.current_version() != version:
        return {'status': 'skipped', 'reason': f'{version} is no longer the current version'}
    config = project.label_config()
    label_studio = _label_studio(ctx, project)
    predictor = ctx.models.get(project.id, version)
    strategy = ctx.project_setting(project, 'strategy')
    rng = np.random.default_rng(zlib.crc32(version.encode()))
    tasks = [t for t in label_studio.tasks() if not _is_labeled(t)]
    started = time.monotonic()
    scored = 0
    for start in range(0, len(tasks), RESCORE_BATCH):
        batch = [t for t in tasks[start:start + RESCORE_BATCH] if _has_text(t, config)]
        predictions = predict_tasks(batch, config, predictor, version, strategy, rng, ctx.settings.max_text_chars)
        label_studio.import_predictions([{**p, 'task': t['id']} for t, p in zip(batch, predictions)])
        scored += len(batch)
    label_studio.use_version(version, bool(ctx.project_setting(project, 'uncertainty_sampling')))
    seconds = round(time.monotonic() - started, 2)
    project.update_version(version, rescored_tasks=scored, rescore_seconds=seconds)
    logger.info('Project %s: pushed %d scores of %s in %.1fs', project.id, scored, version, seconds)
    return {'status': 'rescored', 'version': version, 'tasks': scored, 'seconds': seconds}


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


def _is_labeled(task):
    return bool(task.get('is_labeled') or task.get('total_annotations'))


def _has_text(task, config):
    data = task.get('data') or {}
    if isinstance(data.get(config.field), str):
        return True
    logger.warning('Task %s: no text in data.%s; not scored', task.get('id'), config.field)
    return False


def _label_studio(ctx, project):
    return LabelStudioProject(ctx.settings.label_studio_url, ctx.settings.label_studio_api_key, project.id)


def _context():
    """A context for the running job, on the job's own Redis connection."""
    return Context.create(Settings.from_env(), get_current_job().connection)
