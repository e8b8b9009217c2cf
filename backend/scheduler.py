"""Decide when a project trains, and queue at most one training job per project."""
import logging
import time
import uuid

from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from backend.label_studio import UNCERTAINTY_SAMPLING
from backend.project_state import UNTRAINED
from backend.queues import SCORE, TRAIN

logger = logging.getLogger(__name__)

RESULT_TTL = 24 * 3600
"""Seconds a finished job's result stays in Redis."""

FAILURE_TTL = 7 * 24 * 3600
"""Seconds a failed job stays in the failed registry."""

RETRY_INTERVALS = (10, 60, 300)
"""Seconds before each retry of a failed job (Label Studio down, a worker killed)."""

ALIVE = frozenset({JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.STARTED})
"""Job states in which a queued-training marker still stands for a training to come."""

CATCH_UP_GRACE_SECONDS = 60
"""Seconds after a version's training ended before ``/setup`` may queue its re-scoring again."""

JOB_PREFIX = 'lsal-'
"""Start of the ids of jobs queued once per project (a key holding one names a job, not a state)."""

TRAIN_JOB = 'backend.train.train_project'
RESCORE_JOB = 'backend.rescore.rescore_project'
COLD_START_JOB = 'backend.rescore.cold_start_project'
RESTORE_SAMPLING_JOB = 'backend.rescore.restore_sampling'
QUALITY_JOB = 'backend.quality.assess_quality'
CLEANUP_JOB = 'backend.rescore.delete_old_predictions'


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
    # The job may wait up to TRAIN_TIMEOUT for a running training's lease, then train as long.
    return _enqueue_once(ctx, project, 'train_job', TRAIN, TRAIN_JOB, project.id, project.labels_added(), force,
                         timeout=2 * ctx.settings.train_timeout, description=f'train project {project.id}')


def request_rescore(ctx, project, version):
    """Queue the job that pushes ``version``'s predictions to Label Studio; returns its id.

    Queued whatever runs already: an older version's re-scoring skips once it
    finds itself superseded.
    """
    job_id = _job_id(RESCORE_JOB, project)
    ctx.redis.set(project.key('rescore_job'), job_id, ex=2 * ctx.settings.rescore_timeout)
    return _enqueue(ctx, SCORE, RESCORE_JOB, project.id, version, job_id=job_id, timeout=ctx.settings.rescore_timeout,
                    description=f'rescore project {project.id} with {version}')


def request_quality(ctx, project):
    """Queue the project's label-quality report on the score queue unless one waits (it judges the labels
    with the version current when it runs); returns the job id.

    Queued once a version's scores are in Label Studio (or once it is published, without Label Studio), so
    it never delays them.
    """
    job_id, _ = _enqueue_once(ctx, project, 'quality_job', SCORE, QUALITY_JOB, project.id,
                              timeout=ctx.settings.rescore_timeout,
                              description=f'label quality of project {project.id}')
    return job_id


def request_cleanup(ctx, project, version, predictions=None):
    """Queue the deletion of superseded predictions from Label Studio on the score queue unless one waits
    (see :func:`~backend.rescore.delete_old_predictions`); returns the job id."""
    job_id, _ = _enqueue_once(ctx, project, 'cleanup_job', SCORE, CLEANUP_JOB, project.id, version, predictions,
                              timeout=ctx.settings.rescore_timeout,
                              description=f'delete superseded predictions of project {project.id}')
    return job_id


def catch_up(ctx, project):
    """Queue what Label Studio should have and lacks: the cold start before the first version, the
    current version's scores after it (their job failed past its retries while Label Studio was down).

    ``/setup`` calls it: Label Studio calls ``/setup`` whenever it is up and in use.
    Returns the queued job's id, or None.
    """
    if not ctx.settings.label_studio_enabled:
        return None
    current = project.current_version()
    if current is None:
        job_id, queued = request_cold_start(ctx, project)
        return job_id if queued else None
    summary = project.versions().get(current, {})
    if summary.get('rescore', {}).get('done') or 'rescore_skipped' in summary:
        return None
    # A version is published a moment before its re-scoring is queued.
    if time.time() - summary.get('created_at', 0) < CATCH_UP_GRACE_SECONDS:
        return None
    job_id, queued = _enqueue_once(ctx, project, 'rescore_job', SCORE, RESCORE_JOB, project.id, current,
                                   timeout=ctx.settings.rescore_timeout,
                                   description=f'rescore project {project.id} with {current}')
    if not queued:
        return None
    logger.warning('Project %s: the scores of %s never reached Label Studio; queued them again', project.id, current)
    return job_id


def request_cold_start(ctx, project):
    """Queue the representative-first scoring of a new project unless it ran, waits or runs.

    A cold start that failed (Label Studio down past its retries) or found no
    task to score is queued again by the next call: ``/setup`` calls this, and
    Label Studio calls ``/setup`` whenever it is up and in use.
    """
    if not ctx.settings.label_studio_enabled or project.current_version() is not None:
        return None, False
    return _enqueue_once(ctx, project, 'cold_start', SCORE, COLD_START_JOB, project.id,
                         timeout=ctx.settings.rescore_timeout, description=f'cold start project {project.id}')


def request_sampling_restore(ctx, project, sampling):
    """Queue setting the project's sampling back to uncertainty sampling when Label Studio reports another one
    (``sampling``, from a ``PROJECT_UPDATED`` webhook) for a project whose scores the backend pushed; returns the
    job id, or None when nothing is to restore.

    Label Studio Community's settings page shows uncertainty sampling greyed out, so saving that page may
    switch the order back to Sequential: the next task would no longer be the one the model most needs.
    """
    if (not ctx.settings.label_studio_enabled or sampling in (None, UNCERTAINTY_SAMPLING)
            or not ctx.project_setting(project, 'uncertainty_sampling') or project.model_version() == UNTRAINED):
        return None
    return _enqueue(ctx, SCORE, RESTORE_SAMPLING_JOB, project.id, timeout=120,
                    description=f'restore uncertainty sampling of project {project.id}')


def is_retry(job):
    """Whether RQ runs ``job`` again after it failed or its worker died (each retry spends one of its
    ``retries_left``; RQ's ``number_of_retries`` counts only retries a job asks for by returning ``Retry``)."""
    return job.retries_left is not None and job.retries_left < len(RETRY_INTERVALS)


def _alive(ctx, job_id):
    """Whether the job waits in the queue, waits for a retry or runs."""
    try:
        status = Job.fetch(job_id, connection=ctx.redis).get_status()
    except NoSuchJobError:
        return False
    return status in ALIVE


def _enqueue_once(ctx, project, noun, kind, function, *args, timeout, description):
    """Queue ``function`` unless the project key ``noun`` names a job that waits or runs, or a settled
    state (any value other than a job id, such as ``done``).

    Returns ``(job_id, queued)``, or ``(state, False)`` for a settled key.
    """
    key = project.key(noun)
    existing = ctx.redis.get(key)
    if existing is not None:
        existing = existing.decode()
        if not existing.startswith(JOB_PREFIX) or _alive(ctx, existing):
            return existing, False
        # Its job no longer waits or runs (failed past its retries, lost with a flushed queue).
        project.forget_job(noun, existing)
    job_id = _job_id(function, project)
    # The key outlives a job that vanished without trace only until it expires.
    if not ctx.redis.set(key, job_id, nx=True, ex=2 * timeout):
        existing = ctx.redis.get(key)
        return (existing.decode() if existing else None), False
    return _enqueue(ctx, kind, function, *args, job_id=job_id, timeout=timeout, description=description), True


def _job_id(function, project):
    """A fresh id such as ``lsal-train_project-3-<hex>``: a key holding it names a job, not a state."""
    return f'{JOB_PREFIX}{function.rsplit(".", 1)[1]}-{project.id}-{uuid.uuid4().hex[:12]}'


def _enqueue(ctx, kind, function, *args, timeout, description, job_id=None):
    """Queue ``function`` on the queue of ``kind`` with the timeouts, TTLs and retries every job gets;
    returns the job id."""
    job = ctx.queues[kind].enqueue(function, *args, job_id=job_id, job_timeout=timeout, result_ttl=RESULT_TTL,
                            failure_ttl=FAILURE_TTL, description=description,
                            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)))
    logger.info('Queued job %s: %s', job.id, description)
    return job.id
