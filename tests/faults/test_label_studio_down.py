"""Label Studio stopped while the backend works, then started again."""
import pytest
from rq.registry import FailedJobRegistry

from backend import create_app
from backend.project_state import ProjectState
from support import payloads
from support.label_studio_api import Api, current_scores

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(env, monkeypatch, label_studio_server):
    """The backend wired to the real Label Studio; a failed job is retried at once (a burst worker then
    exhausts its retries), and a version's scores may be queued again at once."""
    monkeypatch.setenv('LABEL_STUDIO_URL', label_studio_server.url)
    monkeypatch.setenv('LABEL_STUDIO_API_KEY', label_studio_server.token)
    monkeypatch.setattr('backend.scheduler.RETRY_INTERVALS', (0,))
    monkeypatch.setattr('backend.scheduler.CATCH_UP_GRACE_SECONDS', 0)
    return create_app()


@pytest.fixture
def project(label_studio_server, bbc):
    """A Label Studio project of twelve BBC News tasks: ``(api, project id, /setup body)``."""
    api = Api(label_studio_server.url, label_studio_server.token)
    pid = api.call('POST', '/api/projects', json={'title': 'Outage', 'label_config': payloads.LABEL_CONFIG})['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'text': text} for text, _ in bbc[100:112]])
    return api, pid, payloads.setup(project=f'{pid}.1795558552')


def failed_jobs(app):
    return FailedJobRegistry(queue=app.extensions['lsal'].queues['score'])


def test_a_cold_start_that_failed_runs_when_label_studio_is_back(app, client, run_jobs, label_studio_server,
                                                                 project):
    api, pid, setup = project
    label_studio_server.stop()
    try:
        client.post('/setup', json=setup)
        run_jobs()
        assert len(failed_jobs(app)) == 1, 'the cold start failed, and failed again on its retry'
        client.post('/setup', json=setup)
        run_jobs()
        assert client.post('/setup', json=setup).json['model_version'] == 'untrained'
    finally:
        label_studio_server.start()
    client.post('/setup', json=setup)
    run_jobs()
    assert client.post('/setup', json=setup).json['model_version'] == 'cold-start'
    assert len(current_scores(api, pid, 'cold-start')) == 12


def test_training_goes_on_without_label_studio_and_its_scores_follow(app, client, run_jobs, label_studio_server,
                                                                     project, bbc, redis):
    api, pid, setup = project
    client.post('/setup', json=setup)
    run_jobs()
    label_studio_server.stop()
    try:
        # Webhooks still arrive (a Label Studio with a queue of its own sends them when back).
        for number, (text, label) in enumerate(bbc[:4], start=1):
            body = payloads.annotation_created(number, number, text, label)
            body['project'] = {**body['project'], 'id': pid}
            assert client.post('/webhook', json=body).status_code == 200
        run_jobs()
    finally:
        label_studio_server.start()
    state = ProjectState(redis, str(pid))
    version = state.current_version()
    summary = state.versions()[version]
    assert summary['num_labeled'] == 4
    assert summary['labels_from'].startswith('redis: Label Studio unreachable'), summary['labels_from']
    assert 'rescore' not in summary and len(failed_jobs(app)) == 1, 'its scores could not be pushed'

    # Label Studio calls /setup once it is up: the scores it missed are queued again.
    client.post('/setup', json=setup)
    run_jobs()
    assert len(current_scores(api, pid, version)) == 12
    assert api.project(pid)['model_version'] == version
    assert state.versions()[version]['rescore']['pushed'] == 12
