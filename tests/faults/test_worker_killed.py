"""A worker killed with SIGKILL in the middle of a training (OOM, a lost node)."""
import time

from rq.job import Job
from rq.registry import StartedJobRegistry

from backend.project_state import ProjectState
from backend.train import LEASE_SECONDS
from support import payloads
from tests.faults.conftest import wait_for
from tests.integration.test_training import annotate


def test_a_fresh_worker_trains_every_label_soon_after_one_is_killed(client, app, bbc, redis, start_worker):
    ctx = app.extensions['lsal']
    project = ProjectState(redis, '1')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:8])
    doomed_job = project.redis.get(project.key('train_job')).decode()
    # Long enough that the kill lands mid-training.
    doomed = start_worker(EPOCHS='1000')
    wait_for(lambda: redis.get(project.key('training')), 60, 'the training to start')
    time.sleep(1)
    doomed.kill()
    killed_at = time.monotonic()
    assert not project.versions()

    fresh = start_worker(EPOCHS='1')
    assert client.post('/webhook', json=payloads.start_training()).json['status'] == 'queued'
    versions, _ = wait_for(project.versions, LEASE_SECONDS + 120, 'a version after the kill')
    recovered = time.monotonic() - killed_at
    (summary,) = versions.values()
    assert summary['num_labeled'] == 8, 'the version holds every stored label'
    assert project.pending() == 0
    print(f'worker killed mid-training: new version {recovered:.1f}s after the kill '
          f'(training {summary["train_seconds"]}s, lease {LEASE_SECONDS}s)')
    assert recovered < LEASE_SECONDS + 60 + summary['train_seconds']

    # RQ's maintenance finds the dead job and retries it: a training of the same labels is superseded.
    StartedJobRegistry(queue=ctx.queues['train']).cleanup(time.time() + 10 ** 6)
    job = Job.fetch(doomed_job, connection=redis)
    wait_for(lambda: job.get_status(refresh=True) == 'finished', 60, 'the retry of the killed job')
    assert job.return_value()['status'] == 'skipped' and 'superseded' in job.return_value()['reason']
    assert len(project.versions()) == 1, fresh.output()[-2000:]


def test_pending_annotations_come_back_when_a_training_dies(client, app, bbc, redis, start_worker):
    project = ProjectState(redis, '1')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:4])
    doomed = start_worker(EPOCHS='1000')
    wait_for(lambda: redis.get(project.key('training')), 60, 'the training to start')
    assert project.pending() == 0, 'a running training covers what was stored when it started'
    annotate(client, bbc[4:6], first_id=5)
    assert project.pending() == 2
    doomed.kill()
    _, seconds = wait_for(lambda: project.pending() == 6, LEASE_SECONDS + 5, 'the pending count to come back')
    print(f'pending count restored {seconds:.1f}s after the kill')


def test_a_training_that_lost_its_lease_does_not_publish(client, app, bbc, redis, start_worker):
    """Stalled longer than the lease, or the id now naming another project: another owner may train."""
    project = ProjectState(redis, '1')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:4])
    job_id = redis.get(project.key('train_job')).decode()
    start_worker(EPOCHS='30')
    wait_for(lambda: redis.get(project.key('training')), 60, 'the training to start')
    redis.set(project.key('training'), 'another-owner 4', ex=600)
    job = Job.fetch(job_id, connection=redis)
    wait_for(lambda: job.get_status(refresh=True) == 'finished', 120, 'the training to end')
    assert job.return_value()['status'] == 'skipped' and 'took the lease' in job.return_value()['reason']
    assert not project.versions() and project.current_version() is None
    assert redis.get(project.key('training')) == b'another-owner 4', "the other owner's lease is left alone"
