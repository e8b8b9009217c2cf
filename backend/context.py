"""What web views and jobs share: settings, Redis, the queue and the model store."""
import logging
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from rq import get_current_job

from backend.calibration import shared_calibration
from backend.media import MediaFiles
from backend.project_state import ProjectState, parse_project_ref
from backend.queues import queues
from backend.settings import Settings
from model import ModelCache, VersionStore
from model.acquisition import Acquisition
from model.consensus import consensus
from model.device import Runtime
from model.task_types import Reader
from strategies import strategy_at

logger = logging.getLogger(__name__)

MEDIA_CACHE = '.media-cache'
"""Folder under ``MODEL_DIR`` where fetched images are kept."""


@dataclass
class Context:
    """Services built once per process from :class:`~backend.settings.Settings`."""

    settings: object
    redis: Redis
    queues: dict
    store: VersionStore
    runtime: Runtime
    models: ModelCache
    reader: Reader

    @classmethod
    def create(cls, settings, redis):
        store = VersionStore(settings.model_dir)
        runtime = Runtime.create(settings.device, settings.inference_bf16, settings.base_model,
                                 settings.training_bf16, calibration=shared_calibration(redis))
        media = MediaFiles(settings, Path(settings.model_dir) / MEDIA_CACHE)
        reader = Reader(max_chars=settings.max_text_chars, fetch=media, image_size=settings.image_size,
                        max_image_bytes=settings.max_image_bytes, max_image_pixels=settings.max_image_pixels)
        return cls(settings=settings, redis=redis, queues=queues(settings.queue_name, redis),
                   store=store, runtime=runtime, models=ModelCache(store, runtime=runtime), reader=reader)

    @classmethod
    def for_current_job(cls):
        """The context of a running RQ job: settings from the environment, the job's Redis."""
        return cls.create(Settings.from_env(), get_current_job().connection)

    def project(self, project_id):
        return ProjectState(self.redis, project_id)

    def project_named(self, value):
        """The state of the project Label Studio names in ``value`` (see
        :func:`~backend.project_state.parse_project_ref`).

        A different project under a known id starts clean; the earlier one's
        state and versions are kept under ``<id>.<created>``.
        """
        project_id, created = parse_project_ref(value)
        project = self.project(project_id)
        archive = project.claim_identity(created) if created is not None else None
        if archive:
            self.store.archive(project_id, archive)
            logger.warning('Project %s: a different Label Studio project than before (created %s); the '
                           'earlier state is kept as %s', project_id, created, archive)
        return project

    def training_config(self, task_type):
        """The task type's recipe with what the settings set."""
        s = self.settings
        return task_type.training_config(epochs=s.epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                                         max_length=s.max_length, image_size=s.image_size)

    def base_model(self, task_type):
        """The pretrained model the task type fine-tunes (``BASE_MODEL`` for text, ``IMAGE_MODEL`` for images)."""
        return task_type.pretrained_model(self.settings.weight)

    def task_type(self, project):
        """The project's :class:`~model.task_type.TaskType` with its options (None before any label config)."""
        return self.configured(project.task_type(), project)

    def configured(self, task_type, project):
        """``task_type`` with its options: the project's extra params, else the settings (``project`` may be
        None)."""
        if task_type is None:
            return None
        return task_type.configured({**self.settings.options, **(project.params() if project is not None else {})})

    def labeled(self, project, task_type, left_out=None):
        """The project's training examples of ``task_type``, :meth:`~model.task_type.TaskType.loaded`: one per
        task, the :func:`~model.consensus.consensus` of its annotations but those ``left_out`` (default:
        :meth:`left_out`); and why others could not be read."""
        left_out = self.left_out(project) if left_out is None else left_out
        annotations = [e for e in project.annotations() if task_type.holds(e) and e['annotation'] not in left_out]
        return task_type.loaded(consensus(task_type, annotations), self.reader)

    def left_out(self, project):
        """The annotations training leaves out: the suspects of the last label-quality report whose quality is
        below ``LEAVE_OUT_BELOW`` (none while it is 0, the default)."""
        threshold = self.settings.leave_out_below
        report = (project.quality() or {}) if threshold else {}
        return {s['annotation'] for s in report.get('suspects', ()) if s['quality'] < threshold}

    def project_setting(self, project, name):
        """A setting overridden by the project's extra params where it sets one (``project`` may be None)."""
        default = getattr(self.settings, name)
        return project.params().get(name, default) if project is not None else default

    def strategy(self, task_type, params):
        """The strategy that scores ``task_type``: the project's (its ``params``), else ``STRATEGY``, else the
        type's default."""
        return params.get('strategy') or self.settings.strategy or task_type.DEFAULT_STRATEGY

    def acquisition(self, project, task_type):
        """How to score the project's ``task_type`` tasks: its strategy (a schedule's at the labels stored), a batch
        of ``train_every`` tasks (what annotators label before the next training), and what the strategy reads of
        the labeled set."""
        strategy = self.strategy(task_type, project.params() if project is not None else {})
        strategy = strategy_at(strategy, project.count_examples() if project is not None else 0)
        acquisition = Acquisition(strategy, batch_size=int(self.project_setting(project, 'train_every')),
                                  mc_passes=self.settings.mc_passes)
        if acquisition.reads_labeled and project is not None:
            examples, _ = self.labeled(project, task_type)
            acquisition = acquisition.with_labeled(task_type, examples)
        return acquisition
