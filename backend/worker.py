"""The worker process: an RQ worker, plus a pump that runs due retries while any worker lives."""
import logging
import threading
import uuid

import rq
from redis.exceptions import RedisError
from rq.scheduler import RQScheduler

from backend import keys, ownership
from backend.calibration import shared_calibration
from backend.connection import connect
from backend.queues import KINDS, queue_name
from model.device import resolve_device

logger = logging.getLogger(__name__)

WORKER_TTL = 60
"""Seconds a worker's registration lives without a heartbeat; an idle worker wakes every 45 s."""

MAINTENANCE_SECONDS = 10
"""Least seconds between a worker's maintenance rounds (RQ's default is 600): requeue a killed worker's
jobs for their retry."""

LISTEN_SECONDS = 1
"""Seconds a worker's listener for RQ's commands (stop a job, shut down) waits per poll. RQ waits 60, and
redis-py 8 waits for the listener when RQ stops it at shutdown: a worker could take a minute to end."""

PUMP_SECONDS = 1
"""Seconds between looks for retries that are due."""

PUMP_LEASE_SECONDS = 5
"""Seconds one worker's turn at running retries outlives its last look (a dead worker's turn ends then)."""


class PromptShutdown:
    """An RQ worker whose command listener polls every :data:`LISTEN_SECONDS` (RQ's own ``subscribe``,
    but for the poll)."""

    def subscribe(self):
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=LISTEN_SECONDS, daemon=True,
                                                       exception_handler=self._pubsub_exception_handler)


class Worker(PromptShutdown, rq.Worker):
    """Runs each job in a work horse forked from this process (``lsal worker``)."""


class SimpleWorker(PromptShutdown, rq.SimpleWorker):
    """Runs each job in this process (tests and benchmarks)."""


class RetryPump(threading.Thread):
    """Move jobs whose retry is due from the scheduled registry to the queue.

    RQ's scheduler does this in one worker under a 61-second lock, and a live
    worker takes over from a dead one only at its maintenance: a retry could
    wait ten minutes. Every worker runs a pump; one at a time works, under a
    lease of :data:`PUMP_LEASE_SECONDS`.
    """

    def __init__(self, redis_url, queue_names):
        super().__init__(name='retry-pump', daemon=True)
        # A client of its own: the work horse forks from this process and must not inherit a busy pool.
        self.redis = connect(redis_url)
        self.queue_names = queue_names
        self.token = uuid.uuid4().hex
        self.stopped = threading.Event()

    def run(self):
        scheduler = RQScheduler(self.queue_names, connection=self.redis)
        scheduler.prepare_registries(self.queue_names)
        while not self.stopped.wait(PUMP_SECONDS):
            try:
                if self._my_turn():
                    scheduler.enqueue_scheduled_jobs()
            except RedisError as error:
                logger.warning('Retry pump: %s', error)

    def _my_turn(self):
        return bool(self.redis.set(keys.RETRY_PUMP, self.token, nx=True, ex=PUMP_LEASE_SECONDS)
                    or ownership.run(self.redis, ownership.EXPIRE_IF_OWNED, keys.RETRY_PUMP, self.token,
                                     PUMP_LEASE_SECONDS))


def run_worker(settings, kinds=KINDS):
    """Work on the queues of ``kinds`` until stopped; retries of every queue move while this worker lives.

    Each job runs in a work horse forked from this process. On a CPU the
    horses read the bfloat16 decision this worker awaited or measured at start
    (:func:`~backend.calibration.shared_calibration`); CUDA is never
    initialized here (a forked child could not use it), each horse does.
    Neither does this process run torch: a calibration runs in a child of
    its own (a horse forked after torch's thread pool started would hang).
    """
    device = resolve_device(settings.device)
    logger.info('Worker on %s for queues %s', device, ', '.join(kinds))
    if device.type == 'cpu' and 'auto' in (settings.inference_bf16, settings.training_bf16):
        shared_calibration(connect(settings.redis_url), isolated=True)(settings.base_model, device)
    prefix = settings.queue_name
    pump = RetryPump(settings.redis_url, [queue_name(prefix, kind) for kind in KINDS])
    pump.start()
    try:
        Worker([queue_name(prefix, kind) for kind in kinds], connection=connect(settings.redis_url),
               worker_ttl=WORKER_TTL, maintenance_interval=MAINTENANCE_SECONDS).work()
    finally:
        pump.stopped.set()
