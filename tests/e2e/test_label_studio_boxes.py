"""Object detection in a real Label Studio: upload scenes as the UI does -> box the digits on the tasks
/next serves -> fine-tune the detector on the uploads (fetched with the API token) -> boxes and scores
pushed, read back as Label Studio stored them, and ordered."""
from pathlib import Path

import pytest

from support.label_studio_api import Api, backend_project, current_scores, first_version, wait_for
from support.payloads import BOX_CONFIG, BOX_LABELS, box_region

pytestmark = pytest.mark.e2e


@pytest.fixture
def backend_settings():
    """128-px scenes read at 64 px, and a low box threshold: a version trained on 10 scenes is not sure of its
    boxes yet, and what is tested here is that valid boxes, in the uploads' own pixels, reach Label Studio
    (mAP: tests/integration)."""
    return {'IMAGE_SIZE': '64', 'BOX_THRESHOLD': '0.05', 'MAX_BOXES': '10'}


def test_boxes_retrain_push_valid_boxes_and_order_the_next_task(label_studio, backend, scenes, tmp_path):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    pid = api.call('POST', '/api/projects', json={'title': 'Scenes', 'label_config': BOX_CONFIG})['id']
    paths, boxes = scenes
    truth = {f'scene_{n}.png': found for n, found in enumerate(boxes[:40])}
    files = [(name, Path(paths[n]).read_bytes()) for n, name in enumerate(truth)]
    files += [('broken_truncated.png', Path(paths[0]).read_bytes()[:60]), ('broken_text.png', b'not an image\n')]
    api.upload(pid, files)
    tasks = api.tasks(pid)
    assert len(tasks) == 42 and all(t['data']['snapshot'].startswith(f'/data/upload/{pid}/') for t in tasks)

    api.call('POST', '/api/ml', json={'url': backend_url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
    wait_for(lambda: api.project(pid)['model_version'] == 'cold-start', 'cold-start scores', log)

    for _ in range(10):
        task = api.call('GET', f'/api/projects/{pid}/next')
        name = Path(task['data']['snapshot']).name.split('-', 1)[1]
        result = [box_region(x, y, w, h, BOX_LABELS[label]) for x, y, w, h, label in truth.get(name, [])]
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': result})

    version, details = first_version(api, backend_url, pid, log)
    assert details['type'] == 'object_detection' and details['num_labeled'] == 10

    # One prediction of the version per unlabeled task, as Label Studio stored it; broken uploads last.
    scores = current_scores(api, pid, version)
    unlabeled = [t for t in api.tasks(pid) if not t['annotations']]
    assert len(scores) == len(unlabeled) == 32
    found = 0
    for task in unlabeled:
        prediction = next(p for p in task['predictions'] if p['model_version'] == version)
        if '-broken_' in task['data']['snapshot']:
            assert prediction['result'] == [] and prediction['score'] == 1.0
            continue
        for item in prediction['result']:
            found += 1
            assert (item['from_name'], item['to_name'], item['type']) == ('marks', 'photo', 'rectanglelabels')
            assert (item['original_width'], item['original_height']) == (128, 128)
            value = item['value']
            assert value['rectanglelabels'][0] in BOX_LABELS.values() and value['rotation'] == 0
            assert 0 <= value['x'] <= value['x'] + value['width'] <= 100
            assert 0 <= value['y'] <= value['y'] + value['height'] <= 100
    assert found, 'the version pre-annotates boxes, and Label Studio keeps them'
    next_task = api.call('GET', f'/api/projects/{pid}/next')
    assert scores[next_task['id']] == min(scores.values())
    rescore = backend_project(backend_url, pid, log)['details'][version]['rescore']
    assert rescore['skipped'] == 2, rescore
    reasons = sorted(rescore['skipped_reasons'])
    assert 'broken image' in ' '.join(reasons) and 'not an image file' in ' '.join(reasons)
    assert token not in log.read_text(), 'the API token never reaches the log'
