"""The closed loop in a real Label Studio: annotate -> webhook -> fine-tune -> re-score -> next task."""
import time

import pytest
import requests

from tests.conftest import LABEL_CONFIG

pytestmark = pytest.mark.e2e

LOOP_TIMEOUT = 300
"""Seconds the worker may take to train MiniLM on ten labels and push the scores."""


class Api:
    """A thin Label Studio REST client for the test's own steps."""

    def __init__(self, url, token):
        self.url = url
        self.session = requests.Session()
        self.session.headers['Authorization'] = f'Token {token}'

    def call(self, method, path, **kwargs):
        response = self.session.request(method, f'{self.url}{path}', timeout=120, **kwargs)
        assert response.status_code < 300, f'{method} {path}: {response.status_code} {response.text[:500]}'
        return response.json() if response.content else None

    def tasks(self, project_id):
        return self.call('GET', f'/api/tasks?project={project_id}&fields=all&page_size=1000')['tasks']


def wait_for(condition, what, log):
    deadline = time.monotonic() + LOOP_TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f'{what}: not within {LOOP_TIMEOUT}s\nbackend log:\n{log.read_text()[-4000:]}')


def test_annotations_retrain_rescore_and_order_the_next_task(label_studio, backend, bbc):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    project = api.call('POST', '/api/projects', json={'title': 'BBC News', 'label_config': LABEL_CONFIG})
    api.call('POST', f'/api/projects/{project["id"]}/import', json=[{'text': text} for text, _ in bbc[:60]])
    labels_by_text = {text: label for text, label in bbc[:60]}

    ml = api.call('POST', '/api/ml', json={'url': backend_url, 'project': project['id'], 'title': 'lsal',
                                            'is_interactive': False})
    api.call('POST', f'/api/dm/actions?id=retrieve_tasks_predictions&project={project["id"]}',
             json={'selectedItems': {'all': True, 'excluded': []}})
    tasks = api.tasks(project['id'])
    assert len(tasks) == 60
    assert all(t['predictions'] and t['predictions'][0]['model_version'] == 'untrained' for t in tasks)
    assert all(t['predictions'][0]['score'] is not None for t in tasks)

    for task in tasks[:10]:
        label = labels_by_text[task['data']['text']]
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': [{
            'from_name': 'topic', 'to_name': 'text', 'type': 'choices', 'value': {'choices': [label]}}]})

    def new_version():
        versions = requests.get(f'{backend_url}/versions?project={project["id"]}', timeout=5).json()['versions']
        return versions[-1] if versions else None
    version = wait_for(new_version, 'a trained version on GET /versions', log)
    assert version.startswith('v1-')
    setup = requests.post(f'{backend_url}/setup', timeout=5, json={
        'project': f'{project["id"]}.0', 'schema': LABEL_CONFIG}).json()
    assert setup['model_version'] == version
    wait_for(lambda: api.call('GET', f'/api/projects/{project["id"]}')['model_version'] == version,
             'project.model_version set to the new version by the re-scoring job', log)
    assert api.call('GET', f'/api/ml/{ml["id"]}/versions')['versions'][-1] == version

    unlabeled = [t for t in api.tasks(project['id']) if not t['annotations']]
    assert len(unlabeled) == 50
    scores = {}
    for task in unlabeled:
        current = [p for p in task['predictions'] if p['model_version'] == version]
        assert len(current) == 1, f'task {task["id"]}: predictions {task["predictions"]}'
        assert 0.0 <= current[0]['score'] <= 1.0
        assert current[0]['result'][0]['value']['choices'][0] in labels_by_text.values()
        scores[task['id']] = current[0]['score']

    project_now = api.call('GET', f'/api/projects/{project["id"]}')
    assert project_now['sampling'] == 'Uncertainty sampling'
    next_task = api.call('GET', f'/api/projects/{project["id"]}/next')
    assert scores[next_task['id']] == min(scores.values())
