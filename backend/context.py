"""What web views and jobs share: settings, Redis, the queue and the model store."""
from dataclasses import dataclass

from redis import Redis
from rq import Queue

from backend.project_state import ProjectState
from model import ModelCache, TrainingConfig, VersionStore


@dataclass
class Context:
    """Services built once per process from :class:`~backend.settings.Settings`."""

    settings: object
    redis: Redis
    queue: Queue
    store: VersionStore
    models: ModelCache

    @classmethod
    def create(cls, settings, redis):
        store = VersionStore(settings.model_dir)
        return cls(settings=settings, redis=redis, queue=Queue(settings.queue_name, connection=redis),
                   store=store, models=ModelCache(store, bf16=settings.inference_bf16))

    def project(self, project_id):
        return ProjectState(self.redis, project_id)

    def training_config(self):
        s = self.settings
        return TrainingConfig(epochs=s.epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                              max_length=s.max_length)

    def project_setting(self, project, name):
        """A setting overridden by the project's extra params where it sets one."""
        return project.params().get(name, getattr(self.settings, name))
