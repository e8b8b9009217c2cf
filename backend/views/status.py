"""What the backend knows: /versions for Label Studio and people (and choosing one), /metrics for Prometheus."""
import logging
import time

from flask import Blueprint, Response, request

from backend import keys
from backend.errors import Forbidden, NotFound
from backend.project_state import VersionStatus, parse_project_id
from backend.scheduler import request_rescore
from backend.views.common import context

logger = logging.getLogger(__name__)

bp = Blueprint('status', __name__)

HELD_OUT_METRICS = {'accuracy': 'accuracy', 'macro_f1': 'macro_f1', 'entity_precision': 'precision',
                    'entity_recall': 'recall', 'entity_f1': 'f1'}
"""Gauge name (``lsal_model_<name>``) -> key of a version's held-out metrics."""


@bp.get('/versions')
def versions():
    """``{"versions": [...]}`` as Label Studio expects, plus each project's details.

    ``?project=<id>`` narrows the answer to one project (404 if unknown).
    """
    ctx = context()
    if request.args.get('project'):
        project = ctx.project(parse_project_id(request.args['project']))
        if not project.exists():
            raise NotFound(f'project: {project.id} is not known to this backend')
        ids = [project.id]
    else:
        ids = _project_ids(ctx)
    projects = {pid: _project_status(ctx.project(pid)) for pid in ids}
    archived = sorted(name.decode() for name in ctx.redis.smembers(keys.ARCHIVED))
    return {
        'versions': [version for p in projects.values() for version in p['versions']],
        'projects': projects,
        'archived': {name: {'versions': list(ctx.project(name).versions()),
                            'labeled_annotations': ctx.project(name).count_examples()} for name in archived},
    }


@bp.post('/versions/<project_id>/<version>/activate')
def activate(project_id, version):
    """Serve ``version`` (roll back, or take a rejected candidate), and push its scores to Label Studio.

    Changes what annotators see, so it needs the basic-auth credentials: with
    none configured it is refused.
    """
    ctx = context()
    if not ctx.settings.basic_auth_user:
        raise Forbidden('activate: set BASIC_AUTH_USER and BASIC_AUTH_PASS to enable changing versions by hand')
    project = ctx.project(parse_project_id(project_id))
    summaries = project.versions()
    if version not in summaries:
        raise NotFound(f'version: {version!r} is not a kept version of project {project.id}; '
                       f'kept: {", ".join(summaries) or "none"}')
    ctx.store.manifest(project.id, version)  # a version must be on disk before it is served
    project.activate(version)
    project.update_version(version, status=VersionStatus.PUBLISHED, activated_at=time.time())
    logger.warning('Project %s: %s activated by hand', project.id, version)
    rescore_job = request_rescore(ctx, project, version) if ctx.settings.label_studio_enabled else None
    return {'current': version, 'rescore_job': rescore_job}


@bp.get('/metrics')
def metrics():
    """Prometheus text exposition of counters, queue and per-project model state."""
    ctx = context()
    lines = []

    def metric(name, kind, help_text, samples):
        lines.extend([f'# HELP lsal_{name} {help_text}', f'# TYPE lsal_{name} {kind}'])
        for labels, value in samples:
            label_text = ','.join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            lines.append(f'lsal_{name}{{{label_text}}} {value}' if label_text else f'lsal_{name} {value}')

    stats = {k.decode(): int(v) for k, v in ctx.redis.hgetall(keys.STATS).items()}
    metric('predictions_total', 'counter', 'Predictions returned by /predict.',
           [({}, stats.get('predictions', 0))])
    metric('webhooks_total', 'counter', 'Webhooks received, by action.',
           [({'action': k.split(':', 1)[1]}, v) for k, v in sorted(stats.items()) if k.startswith('webhook:')])
    metric('queue_jobs', 'gauge', 'Jobs waiting in each RQ queue.',
           [({'queue': queue.name}, len(queue)) for queue in ctx.queues.values()])
    projects = {pid: ctx.project(pid) for pid in _project_ids(ctx)}
    metric('labeled_annotations', 'gauge', 'Annotations kept as training data.',
           [({'project': pid}, p.count_examples()) for pid, p in projects.items()])
    metric('pending_annotations', 'gauge', 'Annotations stored since the running or last counted training started.',
           [({'project': pid}, p.pending()) for pid, p in projects.items()])
    current = {pid: (p.current_version(), p.versions()) for pid, p in projects.items()}
    metric('model_info', 'gauge', 'The current model version of each project.',
           [({'project': pid, 'version': v}, 1) for pid, (v, _) in current.items() if v])
    evaluated = [(pid, v, summaries[v]['metrics']) for pid, (v, summaries) in current.items()
                 if v in summaries and summaries[v]['metrics'].get('evaluated')]
    for name, key in HELD_OUT_METRICS.items():
        metric(f'model_{name}', 'gauge', f'Held-out {name.replace("_", " ")} of the current version.',
               [({'project': pid, 'version': v}, m[key]) for pid, v, m in evaluated if key in m])
    metric('model_entity_type_f1', 'gauge', 'Held-out entity F1 of each type for the current version.',
           [({'project': pid, 'version': v, 'type': t}, f1) for pid, v, m in evaluated
            for t, f1 in sorted(m.get('per_type', {}).items())])
    agreements = [(pid, v, summaries[v]['agreement']) for pid, (v, summaries) in current.items()
                  if v in summaries and summaries[v].get('agreement')]
    metric('model_agreement', 'gauge', 'Agreement between the current and the previous version on a fixed '
           "sample of unlabeled tasks (the stop signal): Cohen's kappa of classes, or entity F1 of spans.",
           [({'project': pid, 'version': v, 'measure': a['measure']}, a['value']) for pid, v, a in agreements])
    rescoring = [(pid, v, summaries[v]['rescore']) for pid, (v, summaries) in current.items()
                 if v in summaries and summaries[v].get('rescore')]
    metric('rescore_pushed_tasks', 'gauge', "Predictions of the current version pushed to Label Studio.",
           [({'project': pid, 'version': v}, r['pushed']) for pid, v, r in rescoring])
    metric('rescore_total_tasks', 'gauge', 'Unlabeled tasks the current version is scoring.',
           [({'project': pid, 'version': v}, r['total']) for pid, v, r in rescoring])
    metric('model_stabilized', 'gauge', 'Whether predictions have stabilized (1: more labels stop paying).',
           [({'project': pid, 'version': v}, int(a['stabilized'])) for pid, v, a in agreements])
    return Response('\n'.join(lines) + '\n', mimetype='text/plain; version=0.0.4')


def _project_status(project):
    summaries = project.versions()
    task_type = project.task_type()
    return {'current': project.model_version(), 'versions': list(summaries), 'details': summaries,
            'task_type': task_type.to_dict() if task_type else None, 'setup_error': project.setup_error(),
            'labeled_annotations': project.count_examples(), 'pending_annotations': project.pending()}


def _project_ids(ctx):
    return sorted((pid.decode() for pid in ctx.redis.smembers(keys.PROJECTS)), key=int)


def _escape(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
