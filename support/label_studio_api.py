"""A thin Label Studio REST client and the waits the end-to-end tests share."""
import time
from collections import Counter

import requests

from strategies import label_studio_order

LOOP_TIMEOUT = 300
"""Seconds the worker may take to train MiniLM on a few labels and push the scores."""


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
        """Every task of the project, with its annotations and predictions, a page of 1,000 at a time."""
        found, page = [], 1
        while True:
            response = self.session.get(f'{self.url}/api/tasks', timeout=300, params={
                'project': project_id, 'fields': 'all', 'page': page, 'page_size': 1000})
            if response.status_code == 404:  # past the last page
                return found
            assert response.status_code < 300, f'GET /api/tasks: {response.status_code} {response.text[:500]}'
            tasks = response.json()['tasks']
            found.extend(tasks)
            if len(tasks) < 1000:
                return found
            page += 1

    def project(self, project_id):
        return self.call('GET', f'/api/projects/{project_id}')

    def upload(self, project_id, files):
        """Import ``files`` (``(name, PNG bytes)`` pairs) as the UI does, one task per file (Label Studio names it
        ``/data/upload/<pid>/<uuid8>-<name>``)."""
        response = self.session.post(f'{self.url}/api/projects/{project_id}/import', timeout=120,
                                     files=[(name, (name, data, 'image/png')) for name, data in files])
        assert response.status_code == 201, response.text[:500]


def backend_project(backend_url, project_id, log):
    """The backend's ``/versions`` details of one project; a failed answer names itself and the backend log."""
    response = requests.get(f'{backend_url}/versions?project={project_id}', timeout=5)
    assert response.status_code == 200, (f'/versions?project={project_id}: {response.status_code} '
                                         f'{response.text[:500]}\nbackend log:\n{log.read_text()[-4000:]}')
    return response.json()['projects'][str(project_id)]


def wait_for(condition, what, log):
    deadline = time.monotonic() + LOOP_TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f'{what}: not within {LOOP_TIMEOUT}s\nbackend log:\n{log.read_text()[-4000:]}')


def first_version(api, backend_url, project_id, log):
    """The backend's first trained version of a project, once Label Studio orders by it: ``(version, its
    /versions details)``."""
    def current():
        return backend_project(backend_url, project_id, log)['current'] or ''

    version = wait_for(lambda: current().startswith('v1-') and current(), 'a trained version', log)
    wait_for(lambda: api.project(project_id)['model_version'] == version, 'the new version pushed and made current',
             log)
    return version, backend_project(backend_url, project_id, log)['details'][version]


def current_scores(api, project_id, version):
    """``{task id: score}`` of the unlabeled tasks' predictions of ``version`` (exactly one each)."""
    scores = {}
    for task in api.tasks(project_id):
        if task['annotations']:
            continue
        current = [p for p in task['predictions'] if p['model_version'] == version]
        assert len(current) == 1, f'task {task["id"]}: predictions {task["predictions"]}'
        assert 0.0 <= current[0]['score'] <= 1.0
        scores[task['id']] = current[0]['score']
    return scores


def next_in_label_studio_order(api, project_id, version):
    """The task Label Studio 1.23.2's uncertainty sampling serves next to the annotator of every labeled task:
    of the unlabeled tasks with a prediction of ``version``, one whose ``cluster`` holds the fewest labeled
    tasks (each counted in the largest cluster among its predictions, or in "no cluster"), then the lowest
    score; None if no task has one."""
    labeled = {task['id'] for task in api.tasks(project_id) if task['annotations']}
    predictions = api.call('GET', '/api/predictions/', params={'project': project_id})
    solved = Counter(max((p['cluster'] for p in predictions if p['task'] == task and p['cluster'] is not None),
                         default=None) for task in labeled)
    current = sorted((p for p in predictions if p['model_version'] == version and p['task'] not in labeled),
                     key=lambda p: p['task'])
    if not current:
        return None
    first = label_studio_order([p['score'] for p in current], [p['cluster'] for p in current], solved, 1)[0]
    return current[first]['task']
