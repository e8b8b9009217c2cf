"""Decide when a project trains, and queue at most one training job per project."""
import logging
import uuid

logger = logging.getLogger(__name__)

RESULT_TTL = 24 * 3600
"""Seconds a finished job's result stays in Redis."""

FAILURE_TTL = 7 * 24 * 3600
"""Seconds a failed job stays in the failed registry."""

TRAIN_JOB = 'backend.train.train_project'
RESCORE_JOB = 'backend.rescore.rescore_project'
COLD_START_JOB = 'backend.rescore.cold_start_project'


def request_training(ctx, project, force=False):
    """Queue a training of ``project`` if one is due and none is queued.

    Training is due after ``train_every`` new annotations, or at once when
    ``force`` (the Train button). A marker key holds the queued job's id until
    the job starts, so a burst of webhooks queues one job, not one each. The job
    trains on the whole labeled set as it is when it starts, so annotations that
    arrive meanwhile are in it or count towards the next one.

    Returns:
        ``(job_id, queued)``: the id of the queued job (None if none is due) and
        whether this call queued it.
    """
    train_every = int(ctx.project_setting(project, 'train_every'))
    if not force and project.pending() < train_every:
        return None, False
    marker = project.key('train_job')
    job_id = f'lsal-train-{project.id}-{uuid.uuid4().hex[:12]}'
    # The marker outlives a lost job only until it expires: a crashed worker
    # cannot block a project's training forever.
    if not ctx.redis.set(marker, job_id, nx=True, ex=2 * ctx.settings.train_timeout):
        existing = ctx.redis.get(marker)
        return (existing.decode() if existing else None), False
    ctx.queue.enqueue(TRAIN_JOB, project.id, job_id=job_id, job_timeout=ctx.settings.train_timeout,
                      result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                      description=f'train project {project.id}')
    logger.info('Project %s: queued training job %s', project.id, job_id)
    return job_id, True


def request_rescore(ctx, project, version):
    """Queue the job that pushes ``version``'s predictions to Label Studio."""
    job = ctx.queue.enqueue(RESCORE_JOB, project.id, version, job_timeout=ctx.settings.rescore_timeout,
                            result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                            description=f'rescore project {project.id} with {version}')
    logger.info('Project %s: queued re-scoring job %s for %s', project.id, job.id, version)
    return job.id


def request_cold_start(ctx, project):
    """Queue the representative-first scoring of a new project, once, when Label Studio is reachable."""
    if not ctx.settings.label_studio_enabled or project.current_version() is not None:
        return None
    if not ctx.redis.set(project.key('cold_start'), 'queued', nx=True):
        return None
    job = ctx.queue.enqueue(COLD_START_JOB, project.id, job_timeout=ctx.settings.rescore_timeout,
                            result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                            description=f'cold start project {project.id}')
    logger.info('Project %s: queued cold start job %s', project.id, job.id)
    return job.id
