"""Every Redis key the backend uses, built in one place."""
import hashlib

PREFIX = 'lsal'

PROJECTS = f'{PREFIX}:projects'
"""Set of the project ids the backend has seen."""

STATS = f'{PREFIX}:stats'
"""Hash of process-independent counters shown on /metrics."""

ARCHIVED = f'{PREFIX}:archived'
"""Set of ``<id>.<created>`` names under which the state of an earlier project with a reused id is kept."""

RETRY_PUMP = f'{PREFIX}:retry_pump'
"""Token of the worker whose turn it is to move due retries to the queue."""


CALIBRATIONS = f'{PREFIX}:calibration:*'
"""Pattern of every :func:`calibration` key (and of their locks)."""


def calibration(where):
    """``lsal:calibration:<hash of where>``: a bfloat16 decision as JSON (``where`` names the machine kind,
    device, encoder and torch version it holds for); ``<key>:lock`` while one process measures it."""
    return f'{PREFIX}:calibration:{hashlib.sha256(where.encode()).hexdigest()[:16]}'


def histogram(name):
    """``lsal:histogram:<name>``: hash of a histogram's bucket counts and sum per label set."""
    return f'{PREFIX}:histogram:{name}'


def project(project_id, noun):
    """``lsal:project:<id>:<noun>``.

    Nouns: ``created`` (creation time of the Label Studio project this
    state belongs to), ``config`` (label config XML), ``setup_error`` (why the last
    ``/setup`` was refused), ``params`` (extra params, JSON), ``labels``
    (hash: annotation id -> labeled example), ``syncing`` (while a sync from Label Studio lists its
    annotations), ``labels_touched`` (set: annotations webhooks wrote meanwhile), ``labels_added`` (annotations
    ever stored), ``labels_trained`` (``labels_added`` when the last training
    that counted started), ``training`` (lease of the running training: its
    token and ``labels_added`` at its start), ``last_claim`` (the lease's value
    when it was last taken), ``train_job`` (id of the queued training job),
    ``cold_start`` (its job id, then ``done``),
    ``rescore_job``, ``current`` (published version), ``versions`` (hash:
    version -> summary JSON), ``version_seq``, ``outputs`` (hash: task id -> the version that scored it while
    unlabeled and its output), ``quality`` (the label-quality report, JSON), ``quality_job``, ``cleanup_job``
    (the deletion of superseded predictions), ``review_tab`` (id of the Data Manager tab of suspect tasks).
    """
    return f'{PREFIX}:project:{project_id}:{noun}'
