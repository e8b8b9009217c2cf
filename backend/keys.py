"""Every Redis key the backend uses, built in one place."""

PREFIX = 'lsal'

PROJECTS = f'{PREFIX}:projects'
"""Set of the project ids the backend has seen."""

STATS = f'{PREFIX}:stats'
"""Hash of process-independent counters shown on /metrics."""


def project(project_id, noun):
    """``lsal:project:<id>:<noun>``.

    Nouns: ``config`` (label config XML), ``setup_error`` (why the last
    ``/setup`` was refused), ``params`` (extra params, JSON), ``labels``
    (hash: annotation id -> labeled example), ``pending`` (annotations since
    the last training started), ``train_job`` (id of the
    queued training job), ``train_lock``, ``current`` (published version),
    ``versions`` (hash: version -> summary JSON), ``version_seq``.
    """
    return f'{PREFIX}:project:{project_id}:{noun}'
