"""Image classification in a real Label Studio: upload images -> label what /next serves -> fine-tune
EfficientNet-Lite0 on the uploads (fetched with the API token) -> scores pushed and ordered."""
from pathlib import Path

import pytest

from support.label_studio_api import Api, backend_project, current_scores, first_version, wait_for
from support.payloads import IMAGE_CONFIG

pytestmark = pytest.mark.e2e


def true_label(task):
    """The digit a task shows, from the file name it was uploaded under (``<label>_<n>.png``)."""
    return Path(task['data']['picture']).name.split('-', 1)[1].split('_')[0]


def test_images_retrain_push_scores_and_order_the_next_task(label_studio, backend, digits, tmp_path):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    pid = api.call('POST', '/api/projects', json={'title': 'Digits', 'label_config': IMAGE_CONFIG})['id']
    per_class = {label: [path for path, lab in digits if lab == label][:14] for label in ('0', '1', '7')}
    files = [(f'{label}_{n}.png', Path(path).read_bytes()) for label, paths in per_class.items()
             for n, path in enumerate(paths)]
    files.append(('7_broken.png', Path(per_class['7'][0]).read_bytes()[:60]))  # truncated: skipped, not fatal
    api.upload(pid, files)
    tasks = api.tasks(pid)
    assert len(tasks) == 43 and all(t['data']['picture'].startswith(f'/data/upload/{pid}/') for t in tasks)

    api.call('POST', '/api/ml', json={'url': backend_url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
    wait_for(lambda: api.project(pid)['model_version'] == 'cold-start', 'cold-start scores', log)

    for _ in range(10):
        task = api.call('GET', f'/api/projects/{pid}/next')
        result = [{'from_name': 'digit', 'to_name': 'scan', 'type': 'choices',
                   'value': {'choices': [true_label(task)]}}]
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': result})

    version, details = first_version(api, backend_url, pid, log)
    assert details['type'] == 'image_classification' and details['num_labeled'] == 10

    # One prediction of the version per unlabeled task, a score each; the broken upload is scored last.
    scores = current_scores(api, pid, version)
    unlabeled = [t for t in api.tasks(pid) if not t['annotations']]
    assert len(scores) == len(unlabeled) == 33
    for task in unlabeled:
        prediction = next(p for p in task['predictions'] if p['model_version'] == version)
        if task['data']['picture'].endswith('7_broken.png'):
            assert prediction['result'] == [] and prediction['score'] == 1.0
            continue
        [item] = prediction['result']
        assert (item['from_name'], item['to_name'], item['type']) == ('digit', 'scan', 'choices')
        assert item['value']['choices'][0] in ('0', '1', '7')
    rescore = backend_project(backend_url, pid, log)['details'][version]['rescore']
    assert rescore['skipped'] == 1 and 'broken image' in rescore['skipped_reasons'][0], rescore
    next_task = api.call('GET', f'/api/projects/{pid}/next')
    assert scores[next_task['id']] == min(scores.values())
    assert token not in log.read_text(), 'the API token never reaches the log'
