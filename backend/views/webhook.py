"""Label Studio webhooks: record annotations, queue training."""
import logging

from flask import Blueprint

from backend.errors import RequestError, Unprocessable
from backend.scheduler import request_sampling_restore, request_training
from backend.views.common import context, count, json_object
from model.task_types import AnnotationRejected

logger = logging.getLogger(__name__)

bp = Blueprint('webhook', __name__)

ANNOTATION_ACTIONS = frozenset({'ANNOTATION_CREATED', 'ANNOTATION_UPDATED', 'ANNOTATIONS_CREATED'})
"""Actions whose annotations become training data."""

HANDLED_ACTIONS = ANNOTATION_ACTIONS | {'ANNOTATIONS_DELETED', 'START_TRAINING', 'PROJECT_UPDATED'}

MAX_ACTION_SHOWN = 100
"""Characters of an ignored action echoed back; every ignored action is counted as ``webhook:ignored``."""


@bp.post('/webhook')
def webhook():
    """Only records and enqueues: Label Studio waits at most one second for the answer."""
    ctx = context()
    body = json_object()
    action = body.get('action')
    if not isinstance(action, str):
        raise RequestError('action: expected the webhook action name')
    if action not in HANDLED_ACTIONS:
        count('webhook:ignored')
        return {'status': 'ignored', 'action': action[:MAX_ACTION_SHOWN]}
    count(f'webhook:{action}')
    project = ctx.project_named(body.get('project') or _annotation_project(body))
    fields = body['project'] if isinstance(body.get('project'), dict) else {}  # the project as Label Studio sends it
    if isinstance(fields.get('label_config'), str):
        project.save_label_config(fields['label_config'])
    if action == 'START_TRAINING':
        # Sent by the Train button, and, with "Start model training on annotation submission" on, after every
        # N-th annotation with the same body: then TRAIN_EVERY still decides, else the click trains at once.
        job_id, queued = request_training(ctx, project, force=not fields.get('min_annotations_to_start_training'))
        status = 'queued' if queued else 'already queued' if job_id else 'not due'
        return {'status': status, 'job_id': job_id, 'pending': project.pending(),
                'train_every': int(ctx.project_setting(project, 'train_every'))}
    if action == 'PROJECT_UPDATED':
        job_id = request_sampling_restore(ctx, project, fields.get('sampling'))
        return {'status': 'restoring uncertainty sampling' if job_id else 'recorded', 'job_id': job_id}
    if action == 'ANNOTATIONS_DELETED':
        deleted = project.delete_examples(_ids(body.get('annotations'), 'annotations'))
        return {'status': 'deleted', 'deleted': deleted}
    return _record_annotations(ctx, project, body)


def _record_annotations(ctx, project, body):
    task_type = project.task_type()
    if task_type is None:
        raise Unprocessable(f'project {project.id}: no labeling config known; connect the project '
                            'to the backend (it calls /setup) or send the project in the webhook')
    stored, cleared, skipped = {}, [], []
    for annotation, task in _annotation_pairs(body):
        try:
            example = task_type.example_of(annotation, task, ctx.reader)
        except AnnotationRejected as error:
            skipped.append({'annotation': annotation.get('id'), 'reason': str(error)})
            continue
        if example is None:
            cleared.append(annotation['id'])
        else:
            stored[annotation['id']] = example
    if skipped and not stored and not cleared:
        raise Unprocessable(skipped[0]['reason'])
    project.delete_examples(cleared)
    pending = project.put_examples(stored) if stored else project.pending()
    job_id, _ = request_training(ctx, project) if stored else (None, False)
    for rejected in skipped:
        logger.warning('Project %s: annotation %s skipped: %s', project.id, rejected['annotation'],
                       rejected['reason'])
    return {'status': 'recorded', 'stored': len(stored), 'not_training_data': len(cleared),
            'skipped': skipped, 'pending': pending, 'train_job': job_id}


def _annotation_pairs(body):
    """``(annotation, task)`` pairs from single or bulk payloads, matched by task id."""
    annotations, tasks = body.get('annotation'), body.get('task')
    if isinstance(annotations, dict):
        annotations, tasks = [annotations], [tasks]
    if not isinstance(annotations, list) or not isinstance(tasks, list):
        raise RequestError('annotation, task: expected an annotation and its task (or lists of both)')
    by_id = {task.get('id'): task for task in tasks if isinstance(task, dict) and _is_id(task.get('id'))}
    pairs = []
    for annotation in annotations:
        if not isinstance(annotation, dict) or not _is_id(annotation.get('id')):
            raise RequestError('annotation: expected objects with an integer "id"')
        name = f'annotation {annotation["id"]}'
        if annotation.get('task') is not None and not _is_id(annotation['task']):
            raise RequestError(f'{name}: "task" is not a task id')
        task = by_id.get(annotation.get('task')) or (tasks[0] if len(tasks) == 1 else None)
        if not isinstance(task, dict):
            raise RequestError(f'task: missing for {name}')
        if not _is_id(task.get('id', annotation.get('task'))):
            raise RequestError(f'task: expected an integer "id" for {name}')
        result = annotation.get('result')
        if result is not None and not (isinstance(result, list) and all(
                isinstance(region, dict) and isinstance(region.get('value', {}), dict) for region in result)):
            raise RequestError(f'{name}: "result" is not a list of regions, each with a "value" object')
        pairs.append((annotation, task))
    return pairs


def _is_id(value):
    """Whether ``value`` is a Label Studio id: a JSON integer."""
    return isinstance(value, int) and not isinstance(value, bool)


def _annotation_project(body):
    annotation = body.get('annotation')
    if isinstance(annotation, list) and annotation:
        annotation = annotation[0]
    return annotation.get('project') if isinstance(annotation, dict) else None


def _ids(items, name):
    if not isinstance(items, list) or not all(isinstance(i, dict) and _is_id(i.get('id')) for i in items):
        raise RequestError(f'{name}: expected a list of objects with an integer "id"')
    return [item['id'] for item in items]
