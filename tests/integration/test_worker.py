"""The backend's RQ workers stop promptly."""
import time

import pytest

from backend.worker import LISTEN_SECONDS, SimpleWorker, Worker


@pytest.mark.parametrize('worker_class', [Worker, SimpleWorker])
def test_a_worker_whose_listener_waits_for_its_next_poll_stops_within_one(worker_class, redis):
    """The listener saw its channel unsubscribed before the stop flag (the race RQ's teardown can lose) and
    waits for its next poll: stopping takes one poll, not RQ's 60 s."""
    worker = worker_class(['lsal-test-listener'], connection=redis)
    worker.subscribe()
    worker.pubsub.unsubscribe()
    deadline = time.monotonic() + 10
    while worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the listener is back in its wait
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < LISTEN_SECONDS + 2
    assert not worker.pubsub_thread.is_alive()
