"""What web views and jobs share: settings, Redis, the queue and the model store."""
import logging
from dataclasses import dataclass

from redis import Redis
from rq import get_current_job

from backend.project_state import ProjectState, parse_project_ref
from backend.queues import queues
from backend.settings import Settings
from model import ModelCache, VersionStore
from model.acquisition import Acquisition
from model.device import Runtime

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """Services built once per process from :class:`~backend.settings.Settings`."""

    settings: object
    redis: Redis
    queues: dict
    store: VersionStore
    runtime: Runtime
    models: ModelCache

    @classmethod
    def create(cls, settings, redis):
        store = VersionStore(settings.model_dir)
        runtime = Runtime.create(settings.device, settings.inference_bf16, settings.base_model,
                                 settings.training_bf16)
        return cls(settings=settings, redis=redis, queues=queues(settings.queue_name, redis),
                   store=store, runtime=runtime, models=ModelCache(store, runtime=runtime))

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
                                         max_length=s.max_length)

    def project_setting(self, project, name):
        """A setting overridden by the project's extra params where it sets one (``project`` may be None)."""
        default = getattr(self.settings, name)
        return project.params().get(name, default) if project is not None else default

    def acquisition(self, project):
        """How to score the project's tasks: its strategy, a diverse batch of ``train_every``
        tasks (what annotators label before the next training), and for coreset the labeled set."""
        strategy = self.project_setting(project, 'strategy')
        labeled = ()
        if strategy == 'coreset' and project is not None:
            labeled = tuple(example['text'] for example in project.examples())
        return Acquisition(strategy, batch_size=int(self.project_setting(project, 'train_every')),
                           labeled_texts=labeled, mc_passes=self.settings.mc_passes)
