"""Decide when a project trains, and queue at most one training job per project."""
import logging
import uuid

from rq import Retry

logger = logging.getLogger(__name__)

RESULT_TTL = 24 * 3600
"""Seconds a finished job's result stays in Redis."""

FAILURE_TTL = 7 * 24 * 3600
"""Seconds a failed job stays in the failed registry."""

RETRY_INTERVALS = (10, 60, 300)
"""Seconds before each retry of a failed job (Label Studio down, a worker killed)."""

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
    _enqueue(ctx, TRAIN_JOB, project.id, timeout=ctx.settings.train_timeout, job_id=job_id,
             description=f'train project {project.id}')
    return job_id, True


def request_rescore(ctx, project, version):
    """Queue the job that pushes ``version``'s predictions to Label Studio."""
    return _enqueue(ctx, RESCORE_JOB, project.id, version, timeout=ctx.settings.rescore_timeout,
                    description=f'rescore project {project.id} with {version}')


def request_cold_start(ctx, project):
    """Queue the representative-first scoring of a new project, once, when Label Studio is reachable."""
    if not ctx.settings.label_studio_enabled or project.current_version() is not None:
        return None
    if not ctx.redis.set(project.key('cold_start'), 'queued', nx=True):
        return None
    return _enqueue(ctx, COLD_START_JOB, project.id, timeout=ctx.settings.rescore_timeout,
                    description=f'cold start project {project.id}')


def _enqueue(ctx, function, *args, timeout, description, job_id=None):
    """Queue ``function`` with the timeouts, TTLs and retries every job gets; returns the job id."""
    job = ctx.queue.enqueue(function, *args, job_id=job_id, job_timeout=timeout, result_ttl=RESULT_TTL,
                            failure_ttl=FAILURE_TTL, description=description,
                            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)))
    logger.info('Queued job %s: %s', job.id, description)
    return job.id
