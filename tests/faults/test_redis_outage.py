"""Redis stopped and started again under the web app and the workers."""
import time

from rq import Queue, Retry
from rq.job import Job

from backend import create_app
from backend.project_state import ProjectState
from backend.queues import SCORE, queue_name
from backend.settings import Settings
from support import payloads
from tests.faults.conftest import wait_for
from tests.integration.test_training import annotate

RETRY_SECONDS = 2
"""Delay before the retry of the job the tests make fail once."""


def queue_failing_job(redis, name):
    """Queue a job that fails once and is retried :data:`RETRY_SECONDS` later; returns it."""
    queue = Queue(queue_name(Settings.from_env().queue_name, SCORE), connection=redis)
    return queue.enqueue('tests.faults.jobs.fail_once', f'runs:{name}', retry=Retry(max=1, interval=RETRY_SECONDS))


def test_web_answers_503_while_redis_is_down_and_keeps_what_it_stored(env, redis_server, bbc):
    client = create_app({'REDIS_URL': redis_server.url}).test_client()
    assert client.post('/setup', json=payloads.setup()).status_code == 200
    annotate(client, bbc[:2])
    redis_server.stop()
    for response in (client.post('/webhook', json=payloads.annotation_created(3, 3, *bbc[2])),
                     client.post('/predict', json=payloads.predict([payloads.task(9, 'text')])),
                     client.get('/versions')):
        assert response.status_code == 503, response.json
        assert response.json['error'] == 'Redis is unavailable; check REDIS_URL'
    redis_server.start()
    annotate(client, bbc[2:3], first_id=3)
    project = ProjectState(create_app({'REDIS_URL': redis_server.url}).extensions['lsal'].redis, '1')
    assert project.count_examples() == 3 and project.pending() == 3


def test_retries_run_on_time_after_redis_restarts(env, redis_server, start_worker):
    start_worker(REDIS_URL=redis_server.url)
    redis = create_app({'REDIS_URL': redis_server.url}).extensions['lsal'].redis
    wait_for(lambda: redis.keys('rq:workers:*') or redis.smembers('rq:workers'), 30, 'the worker to register')
    redis_server.stop()
    time.sleep(5)
    redis_server.start()
    job = queue_failing_job(redis, 'after-restart')
    _, seconds = wait_for(lambda: job.get_status(refresh=True) == 'finished', 60, 'the retry after a restart')
    print(f'Redis restarted: a failed job ran again {seconds:.1f}s after it was queued (retry delay {RETRY_SECONDS}s)')
    assert seconds < RETRY_SECONDS + 20


def test_retries_run_on_time_after_a_worker_dies(env, redis_server, start_worker):
    redis = create_app({'REDIS_URL': redis_server.url}).extensions['lsal'].redis
    first = start_worker(REDIS_URL=redis_server.url)
    wait_for(lambda: redis.get('lsal:retry_pump'), 30, 'a worker to take the retry pump')
    start_worker(REDIS_URL=redis_server.url)
    first.kill()
    job = queue_failing_job(redis, 'after-kill')
    _, seconds = wait_for(lambda: job.get_status(refresh=True) == 'finished', 60, 'the retry after a kill')
    print(f'worker killed: a failed job ran again {seconds:.1f}s after it was queued (retry delay {RETRY_SECONDS}s)')
    assert seconds < RETRY_SECONDS + 20
    assert Job.fetch(job.id, connection=redis).return_value() == 'second run'
