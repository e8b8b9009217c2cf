"""A thin Label Studio REST client and the waits the end-to-end tests share."""
import time

import requests

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
        return self.call('GET', f'/api/tasks?project={project_id}&fields=all&page_size=1000')['tasks']

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
