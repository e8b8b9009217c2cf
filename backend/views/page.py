"""The status page: plain HTML for people, one overview and one view per project."""
import time

from flask import Blueprint, render_template
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry

from backend.calibration import stored_calibrations
from backend.chart import line_chart
from backend.errors import NotFound
from backend.project_state import parse_project_id
from backend.views.common import context
from backend.views.status import current_quality, project_ids

bp = Blueprint('page', __name__)

JOBS_SHOWN = 20
"""Jobs listed per queue and state."""

SUSPECTS_SHOWN = 50
"""Suspect labels listed on a project's page (``/quality`` has them all)."""


@bp.get('/status')
def overview():
    ctx = context()
    projects = [_summary(ctx.project(pid)) for pid in project_ids(ctx)]
    return render_template('overview.html', projects=projects, queues=_queues(ctx), runtime=ctx.runtime.describe(),
                           calibrations=stored_calibrations(ctx.redis))


@bp.get('/status/<project_id>')
def project_page(project_id):
    ctx = context()
    project = ctx.project(parse_project_id(project_id))
    if not project.exists():
        raise NotFound(f'project: {project.id} is not known to this backend')
    summary = _summary(project)
    versions = summary['versions']
    metric = summary['metric']
    evaluated = [v for v in versions if v['metrics'].get(metric) is not None]
    agreed = [v for v in versions if v.get('agreement')]
    chart = line_chart({f'held-out {metric}': [(v['num_train'], v['metrics'][metric]) for v in evaluated],
                        'agreement with the previous version': [(v['num_train'], max(v['agreement']['value'], 0.0))
                                                                for v in agreed]},
                       x_label='labels trained on', y_label=metric)
    quality = current_quality(project)
    if quality:
        quality['computed_ago'] = _ago(quality['computed_at'])
    return render_template('project.html', project=summary, chart=chart, queues=_queues(ctx, f'-{project.id}-'),
                           runtime=ctx.runtime.describe(), calibrations=stored_calibrations(ctx.redis),
                           quality=quality, suspects_shown=SUSPECTS_SHOWN,
                           label_studio_url=ctx.settings.label_studio_url.rstrip('/'))


def _summary(project):
    task_type = project.task_type()
    versions = [{'version': name, **details} for name, details in project.versions().items()]
    current = project.current_version()
    serving = next((v for v in versions if v['version'] == current), None)
    agreement = (serving or {}).get('agreement') or {}
    return {'id': project.id, 'task_type': task_type.NAME if task_type else None,
            'metric': task_type.METRIC if task_type else None, 'current': current, 'serving': serving,
            'trained_ago': _ago(serving['created_at']) if serving else None,
            'labeled': project.count_examples(), 'pending': project.pending(), 'versions': versions[::-1],
            'stop': agreement.get('stabilized'), 'setup_error': project.setup_error(),
            'ignored': task_type.ignored if task_type else (),
            'controls': [f'<{t.CONTROL} name="{t.from_name}"> ({t.NAME}, {t.METRIC})'
                         for t in (task_type.served_controls if task_type else ())]}


def _queues(ctx, job_marker=''):
    """Per queue: jobs waiting, running and failed (the failure's last line), those whose id holds
    ``job_marker`` (a project's jobs are named ``lsal-<function>-<project>-<hex>``)."""
    def jobs(ids):
        return [job for job in Job.fetch_many([i for i in ids if job_marker in i][:JOBS_SHOWN], connection=ctx.redis)
                if job is not None]

    out = []
    for kind, queue in ctx.queues.items():
        failed = [{'id': job.id, 'description': job.description, 'ended': _ago(job.ended_at.timestamp())
                   if job.ended_at else '', 'error': _last_line(job.exc_info)}
                  for job in jobs(FailedJobRegistry(queue=queue).get_job_ids())]
        out.append({'kind': kind, 'name': queue.name,
                    'waiting': [job.description for job in jobs(queue.get_job_ids())],
                    'running': [job.description for job in jobs(StartedJobRegistry(queue=queue).get_job_ids())],
                    'failed': failed})
    return out


def _last_line(text):
    lines = [line for line in (text or '').splitlines() if line.strip()]
    return lines[-1] if lines else ''


def _ago(timestamp):
    seconds = max(0, int(time.time() - timestamp))
    for unit, size in (('d', 86400), ('h', 3600), ('min', 60)):
        if seconds >= size:
            return f'{seconds // size} {unit} ago'
    return f'{seconds} s ago'
