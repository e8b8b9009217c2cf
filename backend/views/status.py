"""What the backend knows: /versions for Label Studio and people (and choosing one), /metrics for Prometheus."""
import logging
import time

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from backend import keys
from backend.errors import Forbidden, NotFound, RequestError
from backend.metrics import StateCollector
from backend.project_state import VersionStatus, parse_project_id
from backend.scheduler import request_rescore
from backend.views.common import context

logger = logging.getLogger(__name__)

bp = Blueprint('status', __name__)


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
        ids = project_ids(ctx)
    projects = {pid: _project_status(ctx.project(pid)) for pid in ids}
    archived = sorted(name.decode() for name in ctx.redis.smembers(keys.ARCHIVED))
    return {
        'versions': [version for p in projects.values() for version in p['versions']],
        'projects': projects,
        'archived': {name: {'versions': list(ctx.project(name).versions()),
                            'labeled_annotations': ctx.project(name).count_examples()} for name in archived},
    }


@bp.get('/quality')
def quality():
    """``?project=<id>``: the project's label-quality report (see :mod:`backend.quality`), without the
    annotations deleted since it was computed; an empty list of suspects and the reason before the first."""
    ctx = context()
    if not request.args.get('project'):
        raise RequestError('project: expected ?project=<Label Studio project id>')
    project = ctx.project(parse_project_id(request.args['project']))
    if not project.exists():
        raise NotFound(f'project: {project.id} is not known to this backend')
    return current_quality(project) or {'project': project.id, 'suspects': [], 'computed_at': None,
                                        'reason': 'not computed yet: it runs after each version\'s scores '
                                                  'are in Label Studio'}


def current_quality(project):
    """The project's last label-quality report, without the suspects whose annotation was deleted since; None
    before the first."""
    report = project.quality()
    if report is None:
        return None
    kept = project.holds_annotations([s['annotation'] for s in report['suspects']])
    return {'project': project.id, **report, 'suspects': [s for s in report['suspects'] if s['annotation'] in kept]}


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
    """Prometheus text exposition (see :mod:`backend.metrics`)."""
    ctx = context()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(ctx, project_ids(ctx)))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _project_status(project):
    summaries = project.versions()
    task_type = context().task_type(project)
    return {'current': project.model_version(), 'versions': list(summaries), 'details': summaries,
            'task_type': task_type.to_dict() if task_type else None, 'setup_error': project.setup_error(),
            'labeled_annotations': project.count_examples(), 'pending_annotations': project.pending()}


def project_ids(ctx):
    """The ids of every project the backend has seen, in numeric order."""
    return sorted((pid.decode() for pid in ctx.redis.smembers(keys.PROJECTS)), key=int)
