"""The closed loop in a real Label Studio: annotate -> webhook -> fine-tune -> re-score -> next task."""
import os
from datetime import datetime
from pathlib import Path

import pytest
import requests

from support.browser import chromium_installed, headless_chromium
from support.label_studio_api import Api, backend_project, current_scores, wait_for
from support.payloads import LABEL_CONFIG
from tests.prometheus import value

pytestmark = pytest.mark.e2e

CONFIG = LABEL_CONFIG.replace('</View>', '<TextArea name="reviewer_notes" toName="text"/>'
                                         '<Rating name="quality" toName="text"/></View>')
"""The topic, with two controls no task type learns beside it: served, the two named as ignored."""


def label_next_tasks(api, project_id, count, labels_by_text):
    """Label the tasks Label Studio serves next, as an annotator would; returns their ids."""
    served = []
    for _ in range(count):
        task = api.call('GET', f'/api/projects/{project_id}/next')
        label = labels_by_text[task['data']['text']]
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': [{
            'from_name': 'topic', 'to_name': 'text', 'type': 'choices', 'value': {'choices': [label]}}, {
            'from_name': 'reviewer_notes', 'to_name': 'text', 'type': 'textarea', 'value': {'text': ['checked']}}]})
        served.append(task['id'])
    return served


def test_annotations_retrain_rescore_and_order_the_next_task(label_studio, backend, bbc, tmp_path):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    project = api.call('POST', '/api/projects', json={'title': 'BBC News', 'label_config': CONFIG})
    pid = project['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'text': text} for text, _ in bbc[:60]])
    labels_by_text = {text: label for text, label in bbc[:60]}
    ml = api.call('POST', '/api/ml', json={'url': backend_url, 'project': pid, 'title': 'lsal',
                                            'is_interactive': False})

    # Cold start: connecting queues a job that puts representative tasks first, before any label.
    wait_for(lambda: api.project(pid)['model_version'] == 'cold-start', 'cold-start scores', log)
    cold = current_scores(api, pid, 'cold-start')
    assert len(cold) == 60 and sum(score < 0.5 for score in cold.values()) == 10
    api.call('POST', f'/api/dm/actions?id=retrieve_tasks_predictions&project={pid}',
             json={'selectedItems': {'all': True, 'excluded': []}})
    assert current_scores(api, pid, 'cold-start') == cold, 'Label Studio re-asked for scores it had'

    served = label_next_tasks(api, pid, 10, labels_by_text)
    assert sorted(served, key=cold.get) == served and all(cold[t] < 0.5 for t in served), \
        'the annotator was served the representative batch, in order'

    def version_number(n):
        versions = backend_project(backend_url, pid, log)['versions']
        return versions[-1] if len(versions) >= n else None
    version = wait_for(lambda: version_number(1), 'a trained version on GET /versions', log)
    assert version.startswith('v1-')
    created = int(datetime.fromisoformat(project['created_at']).timestamp())
    setup = requests.post(f'{backend_url}/setup', timeout=5, json={'project': f'{pid}.{created}',
                                                                    'schema': CONFIG}).json()
    assert setup['model_version'] == version
    assert [line.split(':')[0] for line in setup['ignored']] == ['<TextArea name="reviewer_notes">',
                                                                 '<Rating name="quality">']
    wait_for(lambda: api.project(pid)['model_version'] == version,
             'project.model_version set to the new version by the re-scoring job', log)
    assert api.call('GET', f'/api/ml/{ml["id"]}/versions')['versions'][-1] == version

    unlabeled = [t for t in api.tasks(pid) if not t['annotations']]
    assert len(unlabeled) == 50
    for task in unlabeled:
        prediction = next(p for p in task['predictions'] if p['model_version'] == version)
        assert prediction['result'][0]['value']['choices'][0] in labels_by_text.values()
    scores = current_scores(api, pid, version)
    wait_for(lambda: 'cold-start' not in api.call('GET', f'/api/projects/{pid}/model-versions'),
             'the cold-start predictions deleted once a version replaced them', log)
    assert api.call('GET', f'/api/projects/{pid}/model-versions') == {version: 50}
    assert api.project(pid)['sampling'] == 'Uncertainty sampling'
    # Saving Community Edition's settings page may switch the order back to Sequential: it is switched back.
    api.call('PATCH', f'/api/projects/{pid}', json={'sampling': 'Sequential sampling'})
    wait_for(lambda: api.project(pid)['sampling'] == 'Uncertainty sampling', 'uncertainty sampling restored', log)
    assert 'sampling set back to Uncertainty sampling' in log.read_text()
    next_task = api.call('GET', f'/api/projects/{pid}/next')
    assert scores[next_task['id']] == min(scores.values())

    # A second round: the new version is compared with the first on the unlabeled pool (stop signal).
    label_next_tasks(api, pid, 10, labels_by_text)
    second = wait_for(lambda: version_number(2), 'a second version', log)
    wait_for(lambda: api.project(pid)['model_version'] == second, 'the second version pushed', log)

    def details_with_agreement():
        # The job stores the agreement after pushing the scores: annotators get them first.
        found = backend_project(backend_url, pid, log)
        return found if found['details'][second].get('agreement') else None
    details = wait_for(details_with_agreement, 'the agreement between the two versions', log)
    assert details['details'][version]['num_labeled'] == 10, 'the first training synced ten annotations'
    assert details['details'][second]['num_labeled'] == 20
    agreement = details['details'][second]['agreement']
    assert agreement['previous'] == version and agreement['num_tasks'] == 40
    assert agreement['measure'] == 'cohen_kappa'
    assert -1.0 <= agreement['value'] <= 1.0 and agreement['stabilized'] is False
    assert agreement['stop_threshold'] == 0.99, 'STOP_AGREEMENT default'
    metrics = requests.get(f'{backend_url}/metrics', timeout=5).text
    assert value(metrics, 'lsal_model_agreement', project=pid, version=second, measure='cohen_kappa') is not None
    if chromium_installed():
        show_status_page(f'{backend_url}/status/{pid}', second, tmp_path)


def show_status_page(url, serving, tmp_path):
    """Open the healthy project's status page in a real browser, and keep what it shows: with
    ``LSAL_STATUS_SCREENSHOT`` set, that is the README's screenshot."""
    from selenium.webdriver.common.by import By
    with headless_chromium(height=1500) as browser:
        browser.get(url)
        assert browser.find_element(By.ID, 'serving').text == serving
        assert browser.find_element(By.ID, 'rescore').text == '40 / 40', 'the whole pool carries its scores'
        screenshot = Path(os.environ.get('LSAL_STATUS_SCREENSHOT') or tmp_path / 'status.png')
        browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
