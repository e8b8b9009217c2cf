"""A project's state in Redis: label config, labeled examples, versions."""
import json
import re
import time
from collections import Counter
from datetime import datetime
from enum import Enum

from redis.exceptions import WatchError

from backend import keys, ownership
from backend.errors import RequestError
from model.task_types import parse_label_config

UNTRAINED = 'untrained'
"""The ``model_version`` reported before a project's first trained version."""


class VersionStatus(str, Enum):
    """What became of a trained version."""

    PUBLISHED = 'published'
    """It served, or serves, predictions."""

    REJECTED = 'rejected'
    """It scored worse than the version serving; activating it by hand still serves it."""


VERSION_NAME = re.compile(r'v\d+-\d{8}T\d{6}')
"""The names :meth:`ProjectState.new_version_name` gives."""

COLD_START = 'cold-start'
"""The ``model_version`` of representative-first scores pushed before the first training."""


def parse_project_id(value):
    """The numeric project id from what Label Studio sends (see :func:`parse_project_ref`)."""
    return parse_project_ref(value)[0]


def parse_project_ref(value):
    """``(id, created)`` from what Label Studio sends.

    ``/setup`` and ``/predict`` send ``"<id>.<created>"`` (the project's
    creation time in whole seconds), webhooks a project object with
    ``created_at``, the API a plain integer: ``created`` is None when the
    value does not carry it.
    """
    created = None
    if isinstance(value, dict):
        created = _whole_seconds(value.get('created_at'))
        value = value.get('id')
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text, _, stamp = value.partition('.') if isinstance(value, str) else ('', '', '')
    if not _NUMBER.fullmatch(text):
        raise RequestError(f'project: expected a Label Studio project id, got {_shown(value)}')
    if stamp:
        if not _NUMBER.fullmatch(stamp):
            raise RequestError(f'project: expected "<id>.<created timestamp>", got {_shown(value)}')
        created = int(stamp)
    return text, created


_NUMBER = re.compile(r'[0-9]{1,18}')
"""A project id or creation time as Label Studio sends it: ASCII digits, within a 64-bit integer."""


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else f'{text[:limit]}... ({len(text)} characters)'


def _whole_seconds(iso_time):
    try:
        return int(datetime.fromisoformat(iso_time).timestamp()) if isinstance(iso_time, str) else None
    except ValueError:
        return None


_CLAIM = """
local claim = ARGV[1] .. ' ' .. (redis.call('get', KEYS[2]) or '0')
if redis.call('set', KEYS[1], claim, 'NX', 'EX', ARGV[2]) then
    redis.call('set', KEYS[3], claim)
    return claim
end
return false
"""
"""Take the training lease, recording how many annotations were stored when the training started, and
remember the claim as the last one."""

_NOTE_IF_SYNCING = """
if redis.call('exists', KEYS[1]) == 1 then
    for i = 1, #ARGV, 1000 do redis.call('sadd', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
    redis.call('expire', KEYS[2], math.max(redis.call('ttl', KEYS[1]), 1))
end
"""
"""Note the annotations a webhook writes while a sync lists Label Studio's (see
:meth:`ProjectState.replace_examples`)."""

_RAISE_TO = """
if tonumber(redis.call('get', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
"""


def _upgraded(summary):
    """A version summary in today's shape: agreements stored before spans said only ``kappa``."""
    agreement = summary.get('agreement')
    if agreement and 'kappa' in agreement:
        summary['agreement'] = {'measure': 'cohen_kappa', 'value': agreement.pop('kappa'), **agreement}
    return summary


class ProjectState:
    """Read and write one project's keys.

    Args:
        redis: a ``redis.Redis`` client.
        project_id: the numeric id, as a string.
    """

    def __init__(self, redis, project_id):
        self.redis = redis
        self.id = str(project_id)

    def key(self, noun):
        return keys.project(self.id, noun)

    def exists(self):
        return bool(self.redis.sismember(keys.PROJECTS, self.id))

    def claim_identity(self, created):
        """Tie this id to the Label Studio project created at ``created`` (whole seconds).

        If the id's state belongs to a project created at another time (Label
        Studio's database was reset, or a second instance reuses the id), that
        state moves, whole, under the name ``<id>.<its created>`` (with ``-2``,
        ``-3``... if the same project was archived before) and this project
        starts clean. Version numbers keep counting, so no version name is used
        twice. Returns the archive's name, or None.
        """
        key, created = self.key('created'), str(created)
        if self.redis.get(key) == created.encode():  # every /setup and /predict: one read
            return None
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    if stored is not None and stored.decode() == created:
                        return None
                    archive, moving = None, []
                    if stored is not None:
                        archive = self._free_archive_name(pipe, stored.decode())
                        moving = [k for k in pipe.scan_iter(match=self.key('*'))
                                  if k.decode().rsplit(':', 1)[1] not in ('created', 'version_seq')]
                        # A key that expires or changes meanwhile (a lease, a job marker) starts the claim over.
                        pipe.watch(key, keys.ARCHIVED, *moving)
                    pipe.multi()
                    for moved in moving:
                        pipe.rename(moved, keys.project(archive, moved.decode().rsplit(':', 1)[1]))
                    if archive:
                        pipe.set(keys.project(archive, 'created'), stored)
                        pipe.sadd(keys.ARCHIVED, archive)
                    pipe.set(key, created)
                    pipe.execute()
                    return archive
                except WatchError:
                    continue

    def _free_archive_name(self, pipe, created):
        name, number = f'{self.id}.{created}', 1
        while pipe.sismember(keys.ARCHIVED, name):
            number += 1
            name = f'{self.id}.{created}-{number}'
        return name

    # -- label config and per-project parameters ---------------------------------

    def save_label_config(self, xml):
        """Parse ``xml`` and keep it; returns its :class:`~model.task_types.TaskType`."""
        config = parse_label_config(xml)
        pipe = self.redis.pipeline()
        pipe.set(self.key('config'), xml)
        pipe.sadd(keys.PROJECTS, self.id)
        pipe.execute()
        return config

    def task_type(self):
        """The :class:`~model.task_types.TaskType` of the last label config seen, or None."""
        xml = self.redis.get(self.key('config'))
        return parse_label_config(xml.decode()) if xml else None

    def record_setup_error(self, message):
        """Keep why the last ``/setup`` was refused (None: it was not), for ``/versions``."""
        if message is None:
            self.redis.delete(self.key('setup_error'))
            return
        pipe = self.redis.pipeline()
        pipe.set(self.key('setup_error'), message)
        pipe.sadd(keys.PROJECTS, self.id)
        pipe.execute()

    def setup_error(self):
        raw = self.redis.get(self.key('setup_error'))
        return raw.decode() if raw else None

    def save_params(self, params):
        self.redis.set(self.key('params'), json.dumps(params))

    def params(self):
        raw = self.redis.get(self.key('params'))
        return json.loads(raw) if raw else {}

    # -- labeled examples --------------------------------------------------------

    def put_examples(self, examples):
        """Store ``{annotation id: example}``; annotations not stored before count towards the next training.

        An annotation sent again (an update, a retried webhook) replaces its
        example without counting twice. Returns the number of annotations
        pending (see :meth:`pending`).
        """
        mapping = {str(k): json.dumps(v) for k, v in examples.items()}
        added = self._write_labels(examples, lambda pipe: pipe.hset(self.key('labels'), mapping=mapping))
        pipe = self.redis.pipeline()
        pipe.incrby(self.key('labels_added'), added)
        pipe.sadd(keys.PROJECTS, self.id)
        pipe.execute()
        return self.pending()

    def delete_examples(self, annotation_ids):
        """Forget the examples of these annotations; returns how many were stored."""
        if not annotation_ids:
            return 0
        return self._write_labels(annotation_ids,
                                  lambda pipe: pipe.hdel(self.key('labels'), *[str(i) for i in annotation_ids]))

    def begin_sync(self, seconds):
        """Start a sync from Label Studio, before listing its annotations: until :meth:`replace_examples`, or
        for ``seconds`` at most, the annotations webhooks write are noted."""
        pipe = self.redis.pipeline()
        pipe.delete(self.key('labels_touched'))
        pipe.set(self.key('syncing'), 1, ex=seconds)
        pipe.execute()

    def replace_examples(self, examples):
        """End a sync: the labeled set becomes ``examples`` (``{annotation id: example}``, what Label Studio
        listed), but for the annotations webhooks wrote or deleted since :meth:`begin_sync`, which stay as
        they are now: the listing may predate them."""
        labels, touched = self.key('labels'), self.key('labels_touched')
        listed = {str(k): json.dumps(v) for k, v in examples.items()}

        def replace(pipe):
            written = [i.decode() for i in pipe.smembers(touched)]
            now = dict(zip(written, pipe.hmget(labels, written))) if written else {}
            merged = {**{k: v for k, v in listed.items() if k not in now},
                      **{k: v for k, v in now.items() if v is not None}}
            pipe.multi()
            pipe.delete(labels, touched, self.key('syncing'))
            if merged:
                pipe.hset(labels, mapping=merged)

        self.redis.transaction(replace, labels, touched)

    def _write_labels(self, annotation_ids, write):
        """The answer of ``write(pipe)``, a change to the labeled set, run in one transaction with noting
        ``annotation_ids`` if a sync runs (see :meth:`replace_examples`)."""
        pipe = self.redis.pipeline()
        self.redis.register_script(_NOTE_IF_SYNCING)(keys=[self.key('syncing'), self.key('labels_touched')],
                                                     args=[str(i) for i in annotation_ids], client=pipe)
        write(pipe)
        return pipe.execute()[-1]

    def annotations(self):
        """The example of every stored annotation with its ``annotation`` id, oldest first (a task annotated
        by several people has several)."""
        stored = sorted((int(k), json.loads(v)) for k, v in self.redis.hgetall(self.key('labels')).items())
        return [{**example, 'annotation': annotation_id} for annotation_id, example in stored]

    def holds_annotations(self, annotation_ids):
        """Which of ``annotation_ids`` are still stored (not deleted since)."""
        pipe = self.redis.pipeline(transaction=False)
        for annotation_id in annotation_ids:
            pipe.hexists(self.key('labels'), str(annotation_id))
        return {i for i, stored in zip(annotation_ids, pipe.execute() if annotation_ids else []) if stored}

    def keep_outputs(self, version, outputs):
        """Keep ``{task id: output}`` of ``version`` on unlabeled tasks, replacing an earlier version's: once
        such a task is labeled, the output is a prediction of a version that never trained on it."""
        if outputs:
            self.redis.hset(self.key('outputs'), mapping={str(task): json.dumps([version, output])
                                                          for task, output in outputs.items()})

    def kept_outputs(self, task_ids):
        """``{task id: (version, output)}`` of the :meth:`keep_outputs` kept for ``task_ids``."""
        task_ids = list(task_ids)
        raw = self.redis.hmget(self.key('outputs'), [str(t) for t in task_ids]) if task_ids else []
        return {task: tuple(json.loads(value)) for task, value in zip(task_ids, raw) if value is not None}

    def save_quality(self, report):
        self.redis.set(self.key('quality'), json.dumps(report))

    def quality(self):
        """The last label-quality report (see :mod:`backend.quality`), or None."""
        raw = self.redis.get(self.key('quality'))
        return json.loads(raw) if raw else None

    def review_tab(self):
        """The id of the Data Manager tab of suspect tasks (see :mod:`backend.quality`), or None."""
        raw = self.redis.get(self.key('review_tab'))
        return int(raw) if raw else None

    def set_review_tab(self, tab_id):
        self.redis.set(self.key('review_tab'), tab_id)

    def count_examples(self):
        return self.redis.hlen(self.key('labels'))

    def labels_added(self):
        """How many annotations were ever stored (an annotation sent again counts once)."""
        return int(self.redis.get(self.key('labels_added')) or 0)

    def pending(self):
        """Annotations stored since the last training that published, or since the running one started.

        Derived from counters rather than moved between them, so a training
        that dies (a killed worker) gives nothing back and loses nothing: its
        lease expires and its annotations count as pending again.
        """
        added, trained, claim = self.redis.mget(self.key('labels_added'), self.key('labels_trained'),
                                                self.key('training'))
        covered = max(int(trained or 0), int(claim.split()[1]) if claim else 0)
        return max(int(added or 0) - covered, 0)

    def labels_trained(self):
        """:meth:`labels_added` as it was when the last published (or rejected) training started."""
        return int(self.redis.get(self.key('labels_trained')) or 0)

    def claim_training(self, token, seconds):
        """Take the training lease for ``seconds`` unless a live training holds it.

        Returns :meth:`labels_added` at the moment of the claim (the training
        covers at least those annotations), or None if the lease is held.
        """
        claim = self.redis.register_script(_CLAIM)(
            keys=[self.key('training'), self.key('labels_added'), self.key('last_claim')], args=[token, seconds])
        return int(claim.split()[1]) if claim else None

    def renew_training(self, token, seconds):
        """Extend the lease by ``seconds``; False if another training claimed it.

        A lease that lapsed while its training stalled (a paused host, a starved process) is taken back when
        no other training claimed it since: the work it guards is still the only training of the project.
        """
        return bool(self.redis.register_script(ownership.EXPIRE_OR_RETAKE_IF_OWNED)(
            keys=[self.key('training'), self.key('last_claim')], args=[token, seconds]))

    def release_training(self, token):
        """Give the lease back (only if ``token`` still holds it)."""
        ownership.run(self.redis, ownership.DELETE_IF_OWNED, self.key('training'), token)

    def mark_trained(self, labels_added):
        """Record that a training covered the first ``labels_added`` annotations."""
        self.redis.register_script(_RAISE_TO)(keys=[self.key('labels_trained')], args=[labels_added])

    def forget_job(self, noun, job_id):
        """Clear the key ``noun`` if it still names ``job_id`` (that job started, or was lost)."""
        ownership.run(self.redis, ownership.DELETE_IF_OWNED, self.key(noun), job_id)

    # -- versions ----------------------------------------------------------------

    def current_version(self):
        """The published version, or None before the first training."""
        raw = self.redis.get(self.key('current'))
        return raw.decode() if raw else None

    def model_version(self):
        """What Label Studio is told: the current version, else :data:`COLD_START` once its
        scores were pushed, else :data:`UNTRAINED`."""
        current = self.current_version()
        if current:
            return current
        return COLD_START if self.redis.get(self.key('cold_start')) == b'done' else UNTRAINED

    def new_version_name(self):
        """A fresh, unique, sortable version name such as ``v3-20261125T101500``."""
        number = self.redis.incr(self.key('version_seq'))
        return f'v{number}-{time.strftime("%Y%m%dT%H%M%S", time.gmtime())}'

    def add_version(self, version, summary):
        """Record a stored version without serving it."""
        self.redis.hset(self.key('versions'), version, json.dumps(summary))

    def publish(self, version, summary):
        """Record ``version`` and make it current; every process sees it on its next request."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key('versions'), version, json.dumps(summary))
        pipe.set(self.key('current'), version)
        pipe.execute()

    def activate(self, version):
        """Serve a version already recorded (a rollback, or a rejected version chosen by hand)."""
        self.redis.set(self.key('current'), version)

    def versions(self):
        """``{version: summary}`` of the published versions still kept, oldest first."""
        raw = self.redis.hgetall(self.key('versions'))
        summaries = {k.decode(): _upgraded(json.loads(v)) for k, v in raw.items()}
        return dict(sorted(summaries.items(), key=lambda item: item[1].get('created_at', 0)))

    def forget_versions(self, versions):
        if versions:
            self.redis.hdel(self.key('versions'), *versions)

    def update_version(self, version, defaults=None, **fields):
        """Merge ``fields`` into the stored summary of ``version``, if it is still kept; ``defaults`` fill
        only the fields it lacks.

        Atomic: a re-scoring job's progress, its agreement, a clean-up's count and
        an activation by hand may update one version at once, and none of them is
        lost; a version forgotten meanwhile stays forgotten.
        """
        self._change_version(version, lambda summary: {**(defaults or {}), **summary, **fields})

    def count_in_version(self, version, field, counts):
        """Add ``counts`` (``{name: n}``) to the counter ``field`` of ``version``'s summary, atomically."""
        self._change_version(version, lambda summary: {
            **summary, field: dict(Counter(summary.get(field) or {}) + Counter(counts))})

    def _change_version(self, version, change):
        key = self.key('versions')

        def apply(pipe):
            raw = pipe.hget(key, version)
            if raw is not None:
                pipe.multi()
                pipe.hset(key, version, json.dumps(change(json.loads(raw))))

        self.redis.transaction(apply, key)
