"""The training job: fine-tune on a project's labeled set, store and publish the version."""
import logging
import time

from backend.annotations import AnnotationRejected, example_from
from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.scheduler import request_rescore
from model import classification_metrics, fine_tune, in_holdout, indicators

logger = logging.getLogger(__name__)


def train_project(project_id):
    """Fine-tune on the project's labeled set, store the version, publish it, queue re-scoring.

    Returns a summary dict (``status`` is ``trained`` or ``skipped``).
    """
    ctx = Context.for_current_job()
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
    for task in LabelStudioProject.for_project(ctx, project).tasks():
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
