"""Image classification through the backend: webhooks -> a real RQ worker fine-tunes EfficientNet-Lite0 on
images fetched over HTTP -> /predict, with the broken images a real project holds."""
import pytest

from support import payloads

BROKEN = ('broken/missing.png', 'broken/truncated.png', 'broken/bomb.png', 'broken/text.png',
          'broken/unsupported.ppm')


@pytest.fixture
def trained(client, run_jobs, digits, image_server, monkeypatch):
    """An image project trained once on 24 digits (8 per class) and one broken image."""
    monkeypatch.setenv('TRAIN_EVERY', '25')
    monkeypatch.setenv('MIN_EVAL_LABELS', '100')
    assert client.post('/setup', json=payloads.setup('3.1795558552', payloads.IMAGE_CONFIG)).status_code == 200
    per_class = {label: [path for path, lab in digits if lab == label][:8] for label in ('0', '1', '7')}
    labeled = [(path, label) for label, paths in per_class.items() for path in paths]
    labeled.append(('broken/truncated.png', '7'))
    for number, (path, label) in enumerate(labeled, start=1):
        url = image_server(path) if path.startswith('/') else image_server(per_class['0'][0]).rsplit('/', 1)[0] \
            + '/' + path
        response = client.post('/webhook', json=payloads.image_annotation_created(number, number, url, label))
        assert response.status_code == 200, response.json
    run_jobs()
    return labeled


def test_images_train_publish_and_predict_skipping_broken_ones(client, trained, digits, image_server):
    listed = client.get('/versions?project=3').json['projects']['3']
    version = listed['current']
    details = listed['details'][version]
    assert listed['task_type']['type'] == details['type'] == 'image_classification'
    assert details['num_train'] == 24, 'the broken image is left out, the others train'
    assert details['num_unreadable'] == 1 and 'task 25: image' in details['unreadable'][0]
    assert 'broken image' in details['unreadable'][0]
    assert details['base_model'].endswith('.pth')

    unseen = [(path, label) for path, label in digits[-30:]]
    root = image_server(digits[0][0]).rsplit('/', 1)[0]
    urls = [image_server(path) for path, _ in unseen] + [f'{root}/{path}' for path in BROKEN] + ['']
    tasks = [payloads.image_task(200 + i, url) for i, url in enumerate(urls)]
    response = client.post('/predict', json=payloads.image_predict(tasks))
    assert response.status_code == 200
    results = response.json['results']
    assert len(results) == len(tasks)
    good = results[:len(unseen)]
    for prediction in good:
        assert prediction['model_version'] == version and 'skipped' not in prediction
        [item] = prediction['result']
        assert (item['from_name'], item['to_name'], item['type']) == ('digit', 'scan', 'choices')
        assert 0.0 <= prediction['score'] <= 1.0
    predicted = [p['result'][0]['value']['choices'][0] for p in good]
    accuracy = sum(p == label for p, (_, label) in zip(predicted, unseen)) / len(unseen)
    assert accuracy >= 0.6, f'24 labels of three digits: {accuracy:.2f} on 30 unseen'
    reasons = [p['skipped'] for p in results[len(unseen):]]
    assert [p['score'] for p in results[len(unseen):]] == [1.0] * len(reasons)
    assert all(p['result'] == [] for p in results[len(unseen):])
    assert reasons[0] == f'image {root}/broken/missing.png: HTTP 404 fetching it'
    assert reasons[1].startswith(f'image {root}/broken/truncated.png: broken image')
    assert 'over MAX_IMAGE_PIXELS (40000000)' in reasons[2]
    assert reasons[3].endswith('not an image file (no format recognised)')
    assert reasons[4].endswith('unsupported format PPM; reads BMP, GIF, JPEG, PNG, TIFF, WEBP')
    assert reasons[5] == 'data.picture is empty'

    response = client.post('/predict', json=payloads.image_predict([{'id': 1, 'data': {'other': 'x'}}]))
    assert response.status_code == 422, 'a task without the image field is a clear 4xx'
    assert 'data.picture is missing' in response.json['error']
