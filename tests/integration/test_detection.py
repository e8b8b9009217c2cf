"""Object detection through the backend: webhooks with boxes -> a real RQ worker fine-tunes the detector on
scenes fetched over HTTP -> /predict, with the broken images and the bad boxes a real project holds."""
import pytest

from support import payloads
from support.payloads import BOX_LABELS, box_region
from tests.prometheus import value

PROJECT = '4.1795558552'
BROKEN = ('broken/missing.png', 'broken/truncated.png', 'broken/bomb.png', 'broken/text.png',
          'broken/unsupported.ppm')


def regions(boxes):
    return [box_region(x, y, w, h, BOX_LABELS[label]) for x, y, w, h, label in boxes]


@pytest.fixture
def trained(client, run_jobs, scenes, scene_server, monkeypatch):
    """A detection project trained once on 40 scenes, one with a box half outside the image, one with a
    zero-size box, one rotated box, one scene without digits, and one truncated image."""
    monkeypatch.setenv('TRAIN_EVERY', '100')
    monkeypatch.setenv('MIN_EVAL_LABELS', '100')
    monkeypatch.setenv('IMAGE_SIZE', '64')
    assert client.post('/setup', json=payloads.setup(PROJECT, payloads.BOX_CONFIG)).status_code == 200
    paths, boxes = scenes
    labeled = [(scene_server(path), regions(found)) for path, found in zip(paths[:40], boxes[:40])]
    labeled[0][1].append(box_region(90, 90, 20, 20, 'one'))  # reaches past the corner: clipped
    labeled[1][1].append(box_region(10, 10, 0, 5, 'two'))  # no width: dropped
    labeled[2][1].append(box_region(50, 10, 10, 20, 'three', rotation=90))  # its axis-aligned bound
    labeled.append((scene_server(paths[40]), []))  # nothing to find: a valid example
    root = scene_server(paths[0]).rsplit('/', 1)[0]
    labeled.append((f'{root}/broken/truncated.png', regions(boxes[41])))
    for number, (url, found) in enumerate(labeled, start=1):
        response = client.post('/webhook', json=payloads.box_annotation_created(number, number, url, found))
        assert response.status_code == 200, response.json
    run_jobs()
    return labeled


def test_boxes_train_publish_and_predict_skipping_broken_images_under_the_projects_box_options(
        client, trained, scenes, scene_server):
    listed = client.get(f'/versions?project={PROJECT.split(".")[0]}').json['projects']['4']
    version = listed['current']
    details = listed['details'][version]
    assert listed['task_type']['type'] == details['type'] == 'object_detection'
    assert details['num_train'] == 41, 'the broken image is left out, the others train'
    assert details['num_unreadable'] == 1 and 'broken image' in details['unreadable'][0]
    assert (details['boxes_dropped'], details['boxes_clipped']) == (1, 1)
    assert details['num_boxes'] == sum(len(found) for _, found in trained[:41]) - 1

    paths, _ = scenes
    root = scene_server(paths[0]).rsplit('/', 1)[0]
    urls = [scene_server(path) for path in paths[80:100]] + [f'{root}/{path}' for path in BROKEN] + ['']
    tasks = [payloads.box_task(300 + i, url) for i, url in enumerate(urls)]
    response = client.post('/predict', json=payloads.box_predict(tasks))
    assert response.status_code == 200
    results = response.json['results']
    good = results[:20]
    for prediction in good:
        assert prediction['model_version'] == version and 'skipped' not in prediction
        assert 0.0 <= prediction['score'] <= 1.0
        for item in prediction['result']:
            assert (item['from_name'], item['to_name'], item['type']) == ('marks', 'photo', 'rectanglelabels')
            assert (item['original_width'], item['original_height'], item['image_rotation']) == (128, 128, 0)
            box = item['value']
            assert box['rotation'] == 0 and len(box['rectanglelabels']) == 1
            assert box['rectanglelabels'][0] in BOX_LABELS.values()
            assert 0 <= box['x'] and 0 <= box['y'] and box['width'] > 0 and box['height'] > 0
            assert box['x'] + box['width'] <= 100 and box['y'] + box['height'] <= 100
            assert 0.5 <= item['score'] <= 1.0, 'below BOX_THRESHOLD nothing is pre-annotated'
    assert any(p['result'] for p in good), 'boxes over BOX_THRESHOLD reach the checks above'
    assert len({p['score'] for p in good}) > 10, 'scores order the images, they are not tied'
    reasons = [p['skipped'] for p in results[20:]]
    assert reasons[0] == f'image {root}/broken/missing.png: HTTP 404 fetching it'
    assert reasons[1].startswith(f'image {root}/broken/truncated.png: broken image')
    assert 'over MAX_IMAGE_PIXELS (40000000)' in reasons[2]
    assert reasons[3].endswith('not an image file (no format recognised)')
    assert reasons[5] == 'data.snapshot is empty'
    assert all(p['result'] == [] and p['score'] == 1.0 for p in results[20:])

    # The box threshold and the number of boxes are the project's options, and the task scores follow them.
    default = [p['score'] for p in good[:10]]
    setup = payloads.setup(PROJECT, payloads.BOX_CONFIG, extra_params={'box_threshold': 0.05, 'max_boxes': 2})
    assert client.post('/setup', json=setup).status_code == 200
    results = client.post('/predict', json=payloads.box_predict(tasks[:10])).json['results']
    assert all(len(p['result']) <= 2 for p in results) and any(len(p['result']) == 2 for p in results)
    assert min(item['score'] for p in results for item in p['result']) < 0.5
    assert [p['score'] for p in results] != default, 'the task scores follow the threshold too'
    refused = client.post('/setup', json=payloads.setup(PROJECT, payloads.BOX_CONFIG,
                                                        extra_params={'max_boxes': 0}))
    assert refused.status_code == 400
    assert 'extra_params.max_boxes: expected an integer from 1 to 1000' in refused.json['error']


def test_held_out_map_is_on_versions_and_metrics_and_judges_the_held_out_boxes(client, run_jobs, scenes,
                                                                                scene_server, monkeypatch):
    monkeypatch.setenv('TRAIN_EVERY', '100')
    monkeypatch.setenv('IMAGE_SIZE', '64')
    monkeypatch.setenv('EVAL_FRACTION', '0.25')
    monkeypatch.setenv('MIN_EVAL_LABELS', '5')
    assert client.post('/setup', json=payloads.setup(PROJECT, payloads.BOX_CONFIG)).status_code == 200
    paths, boxes = scenes
    for number, (path, found) in enumerate(zip(paths[:60], boxes[:60]), start=1):
        response = client.post('/webhook', json=payloads.box_annotation_created(number, number, scene_server(path),
                                                                                 regions(found)))
        assert response.status_code == 200
    run_jobs()
    listed = client.get('/versions?project=4').json['projects']['4']
    metrics = listed['details'][listed['current']]['metrics']
    assert metrics['evaluated'] and 0.0 <= metrics['map'] <= metrics['map_50'] <= 1.0
    assert set(metrics['per_class_50']) <= set(BOX_LABELS.values())
    scrape = client.get('/metrics').get_data(as_text=True)
    version = listed['current']
    assert value(scrape, 'lsal_model_map_50', project=4, version=version) == pytest.approx(metrics['map_50'])
    assert value(scrape, 'lsal_model_map', project=4, version=version) == pytest.approx(metrics['map'])
    report = client.get('/quality?project=4').json  # the quality job ran after publishing
    assert report['version'] == version and 'reason' not in report
    assert report['judged'] == metrics['num_eval'] and report['sources'] == {'held_out': metrics['num_eval']}
    assert report['not_judged'] == 60 - metrics['num_eval'], 'boxes are not cross-validated'
    for suspect in report['suspects']:
        assert 0.0 <= suspect['quality'] <= 1.0 and suspect['source'] == 'held_out'
        assert all(len(box) == 5 and box[4] in BOX_LABELS.values() for box in suspect['suggested'])


@pytest.mark.parametrize('region, message', [
    (box_region(10, 10, 20, 20, 'ten'), "unknown label(s) ['ten']"),
    ({**box_region(10, 10, 20, 20, 'one'), 'value': {'x': 'ten', 'y': 10, 'width': 5, 'height': 5,
                                                       'rectanglelabels': ['one']}}, 'value has no number x'),
    ({**box_region(10, 10, 20, 20, 'one', rotation=30), 'original_width': None},
     'rotated by 30 degrees needs original_width and original_height'),
    ({**box_region(10, 10, 20, 20, 'one'), 'value': {'x': 1, 'y': 1, 'width': 5, 'height': 5}},
     'value.rectanglelabels must be a non-empty list'),
])
def test_a_bad_box_is_refused_naming_it_and_stored_boxes_stay(client, scenes, scene_server, region, message):
    assert client.post('/setup', json=payloads.setup(PROJECT, payloads.BOX_CONFIG)).status_code == 200
    url = scene_server(scenes[0][0])
    good = payloads.box_annotation_created(1, 1, url, regions(scenes[1][0]))
    assert client.post('/webhook', json=good).status_code == 200
    response = client.post('/webhook', json=payloads.box_annotation_created(1, 1, url, [region]))
    assert response.status_code == 422
    assert message in response.json['error'] and 'annotation 1' in response.json['error']
    stored = client.get('/versions?project=4').json['projects']['4']['labeled_annotations']
    assert stored == 1, 'the stored annotation is kept as it was'
