"""Re-scoring against a real Label Studio 1.23.2: the pool read a page at a time, pushed lowest score first."""
import pytest
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from backend import create_app
from backend.label_studio import LabelStudioProject
from backend.project_state import ProjectState
from backend.scheduler import request_cleanup, request_rescore
from strategies import label_studio_order
from support import payloads
from support.label_studio_api import Api, current_scores
from tests.prometheus import value

pytestmark = pytest.mark.e2e

LABELED = 4
POOL = 26
TOPICS = ['business', 'entertainment', 'politics', 'sports', 'tech']


@pytest.fixture
def cluster_tasks():
    """``CLUSTER_TASKS``: none, every prediction goes by the bulk import (a test parametrizes it)."""
    return '0'


@pytest.fixture
def app(env, monkeypatch, label_studio_server, cluster_tasks):
    """The backend on the real Label Studio, with pages of 7 tasks, a first push of 5 and chunks of 6."""
    monkeypatch.setenv('LABEL_STUDIO_URL', label_studio_server.url)
    monkeypatch.setenv('LABEL_STUDIO_API_KEY', label_studio_server.token)
    monkeypatch.setattr('backend.label_studio.PAGE_SIZE', 7)
    monkeypatch.setattr('backend.rescore.FIRST_PUSH', 5)
    monkeypatch.setenv('PUSH_CHUNK', '6')
    monkeypatch.setenv('CLUSTER_TASKS', cluster_tasks)
    return create_app()


@pytest.fixture
def calls(monkeypatch):
    """What the backend asked Label Studio, in order: ``('list', n)``, ``('import', [scores])``,
    ``('create', score)``, ``('use', v)``."""
    seen = []
    pages, imports, create, use = (LabelStudioProject.unlabeled_pages, LabelStudioProject.import_predictions,
                                   LabelStudioProject.create_prediction, LabelStudioProject.use_version)

    def listing(self):
        for tasks, total in pages(self):
            seen.append(('list', len(tasks)))
            yield tasks, total

    def importing(self, rows):
        seen.append(('import', [row['score'] for row in rows]))
        return imports(self, rows)

    def creating(self, row):
        seen.append(('create', row['score']))
        return create(self, row)

    def using(self, version, uncertainty_sampling):
        seen.append(('use', version))
        return use(self, version, uncertainty_sampling)

    monkeypatch.setattr(LabelStudioProject, 'unlabeled_pages', listing)
    monkeypatch.setattr(LabelStudioProject, 'import_predictions', importing)
    monkeypatch.setattr(LabelStudioProject, 'create_prediction', creating)
    monkeypatch.setattr(LabelStudioProject, 'use_version', using)
    return seen


def trained_version(client, run_jobs, label_studio_server, bbc, redis, strategy):
    """A project of 30 BBC News tasks, 4 labeled in Label Studio, trained once: ``(api, pid, version)``."""
    api = Api(label_studio_server.url, label_studio_server.token)
    pid = api.call('POST', '/api/projects', json={'title': f'Rescore {strategy}',
                                                  'label_config': payloads.LABEL_CONFIG})['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'text': t} for t, _ in bbc[200:200 + LABELED + POOL]])
    tasks = sorted(api.tasks(pid), key=lambda task: task['id'])
    for task, (_, label) in zip(tasks, bbc[200:200 + LABELED]):
        api.call('POST', f'/api/tasks/{task["id"]}/annotations',
                 json={'result': payloads.annotation(0, task['id'], [label])['result']})
    setup = payloads.setup(project=f'{pid}.1795558552', extra_params={'strategy': strategy})
    assert client.post('/setup', json=setup).status_code == 200
    run_jobs()
    training = {**payloads.start_training(), 'project': {**payloads.PROJECT, 'id': pid}}
    assert client.post('/webhook', json=training).status_code == 200
    run_jobs()
    version = ProjectState(redis, str(pid)).current_version()
    assert version is not None
    return api, pid, version


def pushes_after_listing(calls):
    """The calls of the re-scoring: from the first listing after the cold start switched Label Studio."""
    switched = calls.index(('use', 'cold-start'))
    return calls[next(i for i in range(switched, len(calls)) if calls[i][0] == 'list'):]


def test_a_per_task_strategy_scores_page_by_page_and_serves_after_the_first_push(
        client, run_jobs, label_studio_server, bbc, redis, calls):
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    rescoring = pushes_after_listing(calls)
    assert [c[1] for c in rescoring if c[0] == 'list'] == [7, 7, 7, 5]
    kinds = [c[0] for c in rescoring]
    # Page 1 scored, its 5 lowest pushed, Label Studio switched; the rest as chunks fill, before the end of
    # the listing: the pool is never held whole.
    assert kinds[:4] == ['list', 'import', 'use', 'list'], kinds
    first = rescoring[1][1]
    assert len(first) == 5 and first == sorted(first)
    assert kinds.index('import', 3) < len(kinds) - 2, kinds
    scores = current_scores(api, pid, version)
    assert len(scores) == POOL
    assert api.project(pid)['model_version'] == version
    progress = ProjectState(redis, str(pid)).versions()[version]['rescore']
    assert (progress['pushed'], progress['total'], progress['done']) == (POOL, POOL, True)
    assert 0 < progress['served_after_seconds'] <= progress['seconds']
    metrics = client.get('/metrics').get_data(as_text=True)
    assert value(metrics, 'lsal_rescore_pushed_tasks', project=pid, version=version) == POOL
    assert value(metrics, 'lsal_rescore_seconds_count', project=pid) == 1
    assert value(metrics, 'lsal_training_seconds_count', project=pid) == 1


@pytest.mark.parametrize('strategy', ['coreset', 'balanced'])
def test_a_batch_strategy_sees_the_whole_pool_and_pushes_its_lowest_scores_first(
        client, run_jobs, label_studio_server, bbc, redis, calls, strategy):
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, strategy)
    rescoring = pushes_after_listing(calls)
    kinds = [c[0] for c in rescoring]
    assert kinds == ['list'] * 4 + ['import', 'use'] + ['import'] * 4, kinds
    pushed = [c[1] for c in rescoring if c[0] == 'import']
    assert [len(p) for p in pushed] == [5, 6, 6, 6, 3]
    assert sum(pushed, []) == sorted(sum(pushed, [])), 'lowest scores first, over the whole pool'
    assert sorted(current_scores(api, pid, version).values()) == sorted(sum(pushed, []))


@pytest.mark.parametrize('cluster_tasks', ['3'])
def test_the_lowest_scores_carry_their_cluster_and_label_studio_serves_by_it(
        client, run_jobs, label_studio_server, bbc, redis, calls, cluster_tasks):
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    rescoring = pushes_after_listing(calls)
    kinds = [c[0] for c in rescoring]
    assert kinds[:6] == ['list', 'create', 'create', 'create', 'import', 'use'], kinds
    assert kinds.count('create') == 3
    created = [c[1] for c in rescoring if c[0] == 'create']
    assert created == sorted(created) and max(created) <= min(rescoring[4][1]), 'the lowest of the first push'

    stored = [p for p in api.call('GET', '/api/predictions/', params={'project': pid})
              if p['model_version'] == version]
    assert len(stored) == POOL
    clustered = [p for p in stored if p['cluster'] is not None]
    assert sorted(p['score'] for p in clustered) == created
    for prediction in clustered:  # the predicted class, as the pre-annotation shows it
        choice = prediction['result'][0]['value']['choices'][0]
        assert prediction['cluster'] == TOPICS.index(choice)
    progress = ProjectState(redis, str(pid)).versions()[version]['rescore']
    assert (progress['clustered'], progress['pushed']) == (3, POOL)

    # Label Studio serves the least-labeled cluster first, then the lowest score. The four tasks labeled
    # before the training have no prediction left (the cold start's are deleted): their cluster is None.
    tasks = sorted(stored, key=lambda p: p['task'])
    expected = label_studio_order([p['score'] for p in tasks], [p['cluster'] for p in tasks], {None: LABELED}, 4)
    served = []
    for _ in range(4):
        task = api.call('GET', f'/api/projects/{pid}/next')
        api.call('POST', f'/api/tasks/{task["id"]}/annotations',
                 json={'result': payloads.annotation(0, task['id'], ['tech'])['result']})
        served.append(task['id'])
    assert served == [tasks[i]['task'] for i in expected]
    by_score = sorted(tasks, key=lambda p: p['score'])
    assert served != [p['task'] for p in by_score[:4]], 'the clusters changed the order'


def test_a_second_attempt_leaves_one_prediction_per_task(client, app, run_jobs, label_studio_server, bbc, redis,
                                                         calls):
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    ctx = app.extensions['lsal']
    request_rescore(ctx, ctx.project(str(pid)), version)  # as a retry of a job killed after some imports
    run_jobs()
    assert len(current_scores(api, pid, version)) == POOL  # exactly one prediction of the version each
    assert ProjectState(redis, str(pid)).versions()[version]['deleted_predictions'] == {'cold-start': POOL}, \
        'the first attempt\'s clean-up stays counted'


def test_a_pool_labeled_to_the_last_task_is_rescored_without_switching_versions(
        client, app, run_jobs, label_studio_server, bbc, redis, calls):
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    for task in api.tasks(pid):
        if not task['annotations']:
            api.call('POST', f'/api/tasks/{task["id"]}/annotations',
                     json={'result': payloads.annotation(0, task['id'], ['tech'])['result']})
    ctx = app.extensions['lsal']
    request_rescore(ctx, ctx.project(str(pid)), version)
    del calls[:]
    run_jobs()
    assert ('use', version) not in calls, 'Label Studio refuses a model_version without predictions (400)'
    rescore = ProjectState(redis, str(pid)).versions()[version]['rescore']
    assert rescore['done'] and rescore['pushed'] == 0 and rescore['served_after_seconds'] is None
    assert len(FailedJobRegistry(queue=ctx.queues['score'])) == 0


def test_old_predictions_stay_when_deleting_them_is_off(client, app, run_jobs, label_studio_server, bbc, redis,
                                                        monkeypatch):
    monkeypatch.setenv('DELETE_OLD_PREDICTIONS', 'false')
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    versions = api.call('GET', f'/api/projects/{pid}/model-versions')
    assert versions == {'cold-start': POOL, version: POOL}, 'the cold start\'s predictions kept'
    assert ProjectState(redis, str(pid)).versions()[version]['deleted_predictions'] == {}


def test_old_predictions_go_a_chunk_per_job_and_stop_once_a_newer_version_is_published(
        client, app, run_jobs, label_studio_server, bbc, redis, monkeypatch):
    monkeypatch.setenv('DELETE_OLD_PREDICTIONS', 'false')
    api, pid, version = trained_version(client, run_jobs, label_studio_server, bbc, redis, 'margin')
    ctx = app.extensions['lsal']
    project = ctx.project(str(pid))
    monkeypatch.setattr('backend.rescore.DELETE_CHUNK', 10)
    request_cleanup(ctx, project, version)
    run_jobs()
    cleanups = [job for job in FinishedJobRegistry(queue=ctx.queues['score']).get_job_ids()
                if job.startswith('lsal-delete_old_predictions-')]
    assert len(cleanups) == 3, 'chunks of 10, 10 and 6: each queues the next behind what waits'
    assert api.call('GET', f'/api/projects/{pid}/model-versions') == {version: POOL}
    assert ProjectState(redis, str(pid)).versions()[version]['deleted_predictions'] == {'cold-start': POOL}

    api.call('POST', f'/api/projects/{pid}/import/predictions',
             json=[{'task': t['id'], 'result': [], 'score': 0.5, 'model_version': 'cold-start'} for t in api.tasks(pid)
                   if not t['annotations']])
    deleted, delete = [], LabelStudioProject.delete_prediction

    def delete_and_publish_after_five(self, prediction):
        deleted.append(prediction)
        if len(deleted) == 5:
            project.publish('v9-newer', {'created_at': 0, 'metrics': {'evaluated': False}})
        return delete(self, prediction)

    monkeypatch.setattr(LabelStudioProject, 'delete_prediction', delete_and_publish_after_five)
    request_cleanup(ctx, project, version)
    run_jobs()
    assert api.call('GET', f'/api/projects/{pid}/model-versions') == {'cold-start': POOL - 5, version: POOL}
    assert ProjectState(redis, str(pid)).versions()[version]['deleted_predictions'] == {'cold-start': POOL + 5}
