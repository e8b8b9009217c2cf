"""Jobs that push scores to Label Studio: after each version, and before the first label."""
import hashlib
import heapq
import logging
import time
import zlib
from collections import Counter

import numpy as np
from rq import get_current_job

from backend.context import Context
from backend.label_studio import LabelStudioProject
from backend.metrics import RESCORE_SECONDS
from backend.predictions import predict_tasks
from backend.project_state import COLD_START, VERSION_NAME, VersionStatus
from backend.scheduler import request_cleanup, request_quality
from model import ModelNotFoundError
from model.acquisition import cold_start_scores
from strategies import stabilized

logger = logging.getLogger(__name__)

DELETE_CHUNK = 1000
"""Superseded predictions one clean-up job deletes (about 90 s against Label Studio on SQLite, 2 cores)
before it queues the rest behind the jobs that wait."""

FIRST_PUSH = 1000
"""Lowest-scored predictions sent first; then Label Studio orders by the new version."""

COLD_START_RECHECK_SECONDS = 60
"""After a cold start found no task to score, ``/setup`` queues the next one after this many seconds."""

SKIPPED_SHOWN = 20
"""Reasons of skipped tasks (empty, unreadable) a version's ``rescore`` summary keeps."""

AGREEMENT_SAMPLE = 1000
"""Unlabeled tasks on which consecutive versions are compared for the stop signal."""


def rescore_project(project_id, version):
    """Predict every unlabeled task with ``version`` and make Label Studio order by the scores.

    The pool is read and scored a page at a time when the strategy scores each
    task on its own (else as a whole), and pushed lowest score first; progress
    is kept in the version's ``rescore`` field. Also measures the stop signal:
    agreement between this version and the previous one on a fixed sample of
    unlabeled tasks.
    """
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    if project.current_version() != version:
        return {'status': 'skipped', 'reason': f'{version} is no longer the current version'}
    task_type = ctx.task_type(project)
    label_studio = LabelStudioProject.for_project(ctx, project)
    predictor = ctx.models.get(project.id, version)
    if predictor.card.kind != task_type.NAME:
        reason = f'{version} is a {predictor.card.kind} model; the config is now {task_type.NAME}'
        project.update_version(version, rescore_skipped=reason)
        return {'status': 'skipped', 'reason': reason}
    _drop_earlier_attempt(project, label_studio, version)
    rng = np.random.default_rng(zlib.crc32(version.encode()))
    acquisition = ctx.acquisition(project, task_type)
    push = Push(ctx, project, label_studio, version)
    sample = AgreementSample(AGREEMENT_SAMPLE)
    pages = _unlabeled_pages(label_studio, task_type)
    for tasks, total in (pages if acquisition.per_task else _as_one(pages)):
        predictions, outputs = predict_tasks(tasks, task_type, predictor, version, acquisition, rng, ctx.reader)
        project.keep_outputs(version, _kept(task_type, tasks, outputs))
        push.add(tasks, _with_clusters(task_type, predictions, outputs))
        sample.offer(tasks, outputs)
        project.update_version(version, rescore=push.progress(total))
    push.finish()
    summary = push.progress(push.pushed, done=True)
    project.update_version(version, rescore=summary)
    RESCORE_SECONDS.observe(ctx.redis, summary['seconds'], project=project.id)
    agreement = _agreement(ctx, project, version, predictor, sample, task_type)
    project.update_version(version, defaults={'deleted_predictions': {}}, agreement=agreement)  # a retry's kept
    request_quality(ctx, project)
    if ctx.settings.delete_old_predictions:
        request_cleanup(ctx, project, version)
    logger.info('Project %s: pushed %d scores of %s in %.1fs (served from %.1fs)', project.id, push.pushed,
                version, summary['seconds'], summary['served_after_seconds'])
    return {'status': 'rescored', 'version': version, **summary, 'agreement': agreement}


def delete_old_predictions(project_id, version, predictions=None):
    """Delete up to :data:`DELETE_CHUNK` of the predictions Label Studio holds of this backend's versions no
    longer kept, and the cold start's, so that its database does not grow by one row per task and version;
    queue the rest (``predictions``: ``(id, model_version)`` pairs, listed by the first chunk) behind what
    waits on the score queue. Stops once a newer version is published: its clean-up takes over. Counted
    in the version's ``deleted_predictions``."""
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    project.forget_job('cleanup_job', get_current_job().id)

    def superseded():
        return project.current_version() != version

    if superseded():
        return {'status': 'skipped', 'reason': f'{version} is no longer the current version'}
    label_studio = LabelStudioProject.for_project(ctx, project)
    if predictions is None:
        kept = set(project.versions()) | {version}
        stale = {name for name in label_studio.model_versions()
                 if name not in kept and (name == COLD_START or VERSION_NAME.fullmatch(name))}
        predictions = label_studio.predictions_of(stale) if stale else []
    deleted = _delete_predictions(label_studio, predictions[:DELETE_CHUNK], until=superseded)
    project.count_in_version(version, 'deleted_predictions', deleted)
    if predictions[DELETE_CHUNK:] and not superseded():
        request_cleanup(ctx, project, version, predictions[DELETE_CHUNK:])
    return {'status': 'deleted', 'deleted': deleted}


def restore_sampling(project_id):
    """Set the project's sampling back to uncertainty sampling (see
    :func:`~backend.scheduler.request_sampling_restore`)."""
    ctx = Context.for_current_job()
    LabelStudioProject.for_project(ctx, ctx.project(project_id)).restore_sampling()
    return {'status': 'restored'}


def cold_start_project(project_id):
    """Before the first label: put representative, diverse tasks first in Label Studio."""
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    if project.current_version() is not None:
        return {'status': 'skipped', 'reason': 'the project already has a trained version'}
    task_type = ctx.task_type(project)
    label_studio = LabelStudioProject.for_project(ctx, project)
    embed = task_type.pretrained_embedder(ctx.base_model(task_type), ctx.training_config(task_type), ctx.runtime)
    tasks, embeddings = [], []
    for page, _ in _unlabeled_pages(label_studio, task_type):
        inputs, reasons = task_type.read(page, ctx.reader)
        tasks.extend(task for task, reason in zip(page, reasons) if not reason)
        embeddings.append(embed([x for x in inputs if x is not None]))
    if not tasks:
        # Tasks may be imported after the backend is connected: look again a little later.
        ctx.redis.set(project.key('cold_start'), 'no-tasks', ex=COLD_START_RECHECK_SECONDS)
        return {'status': 'skipped', 'reason': 'no unlabeled task with usable data'}
    size = int(ctx.project_setting(project, 'train_every'))
    scores = cold_start_scores(np.concatenate(embeddings), size, np.random.default_rng(int(project.id)))
    predictions = [{'result': [], 'score': round(float(s), 6), 'model_version': COLD_START} for s in scores]
    if project.current_version() is not None:  # a training finished meanwhile (several workers)
        return {'status': 'skipped', 'reason': 'a trained version was published during the cold start'}
    push = Push(ctx, project, label_studio, COLD_START)
    push.add(tasks, predictions)
    push.finish()
    ctx.redis.set(project.key('cold_start'), 'done')
    logger.info('Project %s: cold start put %d representative tasks first', project.id, min(size, len(tasks)))
    return {'status': 'cold-start', 'tasks': len(tasks), 'first': min(size, len(tasks))}


class Push:
    """Predictions of one version on their way to Label Studio, lowest score first.

    The first :data:`FIRST_PUSH` lowest-scored predictions go at once, and
    Label Studio then orders by the version: the next task it serves is
    already this version's choice among them. The rest follows in imports of
    ``PUSH_CHUNK`` predictions, each after a pause of ``PUSH_PAUSE`` times as
    long as the one before took: Label Studio's SQLite database answers
    annotators in between.

    Predictions that carry a ``cluster`` are created one at a time, as the
    bulk import drops the field: the ``TRAIN_EVERY`` lowest-scored of each
    cluster (all that Label Studio's uncertainty sampling can serve before the
    next version: first the cluster the annotator labeled least, then the
    lowest score), ``CLUSTER_TASKS`` at most.
    """

    def __init__(self, ctx, project, label_studio, version):
        self.label_studio = label_studio
        self.version = version
        self.uncertainty_sampling = bool(ctx.project_setting(project, 'uncertainty_sampling'))
        self.chunk, self.pause = ctx.settings.push_chunk, ctx.settings.push_pause
        self.cluster_tasks = ctx.settings.cluster_tasks
        self.per_cluster = int(ctx.project_setting(project, 'train_every'))
        self.clustered = Counter()
        self.last_import_seconds = 0.0
        self.waiting = []
        self.pushed = 0
        self.skipped = []
        self.started = time.monotonic()
        self.served_after = None

    def add(self, tasks, predictions):
        for task, prediction in zip(tasks, predictions):
            reason = prediction.pop('skipped', None)
            if reason:
                self.skipped.append(f'task {task["id"]}: {reason}')
            self.waiting.append({**prediction, 'task': task['id']})
        if self.served_after is None:
            self._send(min(FIRST_PUSH, self.chunk))
            self._serve()
        while len(self.waiting) >= self.chunk:
            self._send(self.chunk)

    def finish(self):
        """Push what waits. With no task left unlabeled the project keeps its version: Label Studio refuses
        a ``model_version`` it holds no prediction of (400), and has nothing left to order."""
        while self.waiting:
            self._send(self.chunk)
        if self.served_after is None and self.pushed:
            self._serve()

    def progress(self, total, done=False):
        """A JSON dict: predictions pushed of ``total`` (``clustered``: one at a time with their cluster),
        seconds so far, when Label Studio switched to the version, whether every prediction is in, and the
        tasks skipped (empty, unreadable) with the first :data:`SKIPPED_SHOWN` reasons."""
        return {'pushed': self.pushed, 'clustered': self.clustered.total(), 'total': total, 'done': done,
                'seconds': round(time.monotonic() - self.started, 2), 'served_after_seconds': self.served_after,
                'skipped': len(self.skipped), 'skipped_reasons': self.skipped[:SKIPPED_SHOWN]}

    def _send(self, size):
        self.waiting.sort(key=lambda row: row['score'])
        rows, self.waiting = self.waiting[:size], self.waiting[size:]
        time.sleep(self.pause * self.last_import_seconds)
        started = time.monotonic()
        one_by_one, imported = [], []
        room = self.cluster_tasks - self.clustered.total()
        for row in rows:
            cluster = row.get('cluster')
            if cluster is not None and self.clustered[cluster] < self.per_cluster and len(one_by_one) < room:
                self.clustered[cluster] += 1
                one_by_one.append(row)
            else:
                row.pop('cluster', None)
                imported.append(row)
        for row in one_by_one:
            self.label_studio.create_prediction(row)
        self.label_studio.import_predictions(imported)
        self.last_import_seconds = time.monotonic() - started
        self.pushed += len(rows)

    def _serve(self):
        self.label_studio.use_version(self.version, self.uncertainty_sampling)
        self.served_after = round(time.monotonic() - self.started, 2)


class AgreementSample:
    """The ``size`` scored tasks whose id hashes lowest, with their texts and outputs: the same tasks
    for consecutive versions, kept in bounded memory while the pool streams by."""

    def __init__(self, size):
        self.size = size
        self._heap = []  # (-hash, task id, task, output): the largest hash on top

    def offer(self, tasks, outputs):
        for task, output in zip(tasks, outputs):
            if output is None:
                continue
            item = (-int.from_bytes(hashlib.sha256(str(task['id']).encode()).digest()[:8], 'big'), task['id'],
                    task, output)
            if len(self._heap) < self.size:
                heapq.heappush(self._heap, item)
            elif item > self._heap[0]:
                heapq.heapreplace(self._heap, item)

    def items(self):
        """``[(task, output)]`` in hash order."""
        return [(task, output) for _, _, task, output in sorted(self._heap, reverse=True)]


def _with_clusters(task_type, predictions, outputs):
    """The predictions, each with the ``cluster`` of its output where the task type has one."""
    for prediction, output in zip(predictions, outputs):
        cluster = None if output is None else task_type.cluster_of(output)
        if cluster is not None:
            prediction['cluster'] = cluster
    return predictions


def _unlabeled_pages(label_studio, task_type):
    """Pages ``(tasks, total)`` of unlabeled tasks that show text in the configured field."""
    for tasks, total in label_studio.unlabeled_pages():
        kept = []
        for task in tasks:
            if isinstance((task.get('data') or {}).get(task_type.field), str):
                kept.append(task)
            else:
                logger.warning('Task %s: data.%s is missing or not a string; not scored', task.get('id'),
                               task_type.field)
        if kept:
            yield kept, total


def _kept(task_type, tasks, outputs):
    """``{task id: output}`` worth keeping for judging the task's label later (see
    :meth:`~backend.project_state.ProjectState.keep_outputs`)."""
    return {task['id']: kept for task, output in zip(tasks, outputs)
            if output is not None and (kept := task_type.kept_output(output)) is not None}


def _as_one(pages):
    """All ``pages`` as one: for a strategy that must see every candidate at once."""
    tasks, total = [], 0
    for page, total in pages:
        tasks.extend(page)
    return [(tasks, total)] if tasks else []


def _drop_earlier_attempt(project, label_studio, version):
    """Delete the predictions of ``version`` an earlier attempt of this job left (killed, or timed out
    while Label Studio went on storing), so that every task ends with exactly one."""
    left = label_studio.model_versions().get(version)
    if left:
        logger.warning('Project %s: deleting %d predictions of %s left by an earlier attempt', project.id, left,
                       version)
        _delete_predictions(label_studio, label_studio.predictions_of({version}))


def _delete_predictions(label_studio, predictions, until=lambda: False):
    """Delete ``predictions`` (``(id, model_version)`` pairs) one request at a time, until ``until()`` is
    true; returns ``{model_version: predictions deleted}``.

    Label Studio 1.23.2 deletes a whole version in one transaction, holding SQLite's write lock about
    7.6 ms a prediction: over 5 s for a large pool, and annotators' reads then fail ("database is
    locked"). One prediction per request holds it for milliseconds at a time. Versions another backend
    or a person named are never passed here.
    """
    deleted = Counter()
    for prediction, version in predictions:
        if until():
            break
        if label_studio.delete_prediction(prediction):
            deleted[version] += 1
    return dict(deleted)


def _agreement(ctx, project, version, predictor, sample, task_type):
    """Agreement between ``version`` and the previous one on the :class:`AgreementSample` ``sample``.

    The task type measures it (Cohen's kappa for classes, entity F1 for spans).
    """
    # Versions kept back as worse never served: compare with the one served before.
    summaries = {v: s for v, s in project.versions().items()
                 if v == version or s.get('status') != VersionStatus.REJECTED}
    versions = list(summaries)
    previous = versions[versions.index(version) - 1] if version in versions and versions.index(version) else None
    items = sample.items()
    if previous is None or not items:
        return None
    try:
        before = ctx.models.get(project.id, previous)
    except ModelNotFoundError:
        return None
    if not task_type.comparable(before, predictor):
        return None
    inputs, _ = task_type.read([task for task, _ in items], ctx.reader)
    now = [output for (_, output), x in zip(items, inputs) if x is not None]
    then = task_type.outputs(before, [x for x in inputs if x is not None])
    if not now:
        return None
    value = task_type.agreement(now, then)
    history = [s['agreement']['value'] for v, s in summaries.items() if v != version and s.get('agreement')]
    history.append(value)
    return {'measure': task_type.AGREEMENT, 'value': round(float(value), 4), 'previous': previous,
            'num_tasks': len(items),
            'stop_threshold': ctx.settings.stop_agreement,
            'stabilized': stabilized(history, threshold=ctx.settings.stop_agreement)}
