"""Span labeling through the backend: webhooks -> a real RQ worker fine-tunes a token tagger -> /predict spans."""
import pytest
from rq.job import Job

from backend.project_state import ProjectState
from support import payloads
from tests.prometheus import samples, value

LABELS = tuple(payloads.SPAN_LABELS.values())


def annotate(client, pairs, first_id=1):
    """One ANNOTATION_CREATED per ``(text, spans)``; task id = annotation id."""
    for offset, (text, spans) in enumerate(pairs):
        number = first_id + offset
        response = client.post('/webhook', json=payloads.span_annotation_created(number, number, text, spans))
        assert response.status_code == 200, response.json


def check_spans(text, result):
    """What Label Studio must get: exact offsets and text, configured labels, no overlap, trimmed edges."""
    previous_end = 0
    for item in sorted(result, key=lambda r: r['value']['start']):
        value = item['value']
        assert (item['from_name'], item['to_name'], item['type']) == ('entity', 'post', 'labels')
        assert text[value['start']:value['end']] == value['text'] and value['text'] == value['text'].strip()
        assert len(value['labels']) == 1 and value['labels'][0] in LABELS
        assert value['start'] >= previous_end and 0.0 <= item['score'] <= 1.0
        previous_end = value['end']


@pytest.fixture
def trained(client, run_jobs, tweets, monkeypatch):
    """A spans project trained once on 24 tweets, half with entities; 5 of them held out."""
    monkeypatch.setenv('MIN_EVAL_LABELS', '10')
    monkeypatch.setenv('TRAIN_EVERY', '24')
    assert client.post('/setup', json=payloads.setup('2.1795558552', payloads.SPAN_CONFIG)).status_code == 200
    with_entities = [pair for pair in tweets if pair[1]][:12]
    without = [pair for pair in tweets if not pair[1]][:11]
    text, spans = with_entities[0]
    start, end, _ = spans[0]
    # A nested second span over the same words: kept out of training and counted.
    overlapping = (text, spans + [(start, end, 'Misc' if spans[0][2] != 'Misc' else 'Person')])
    annotate(client, [overlapping, *with_entities[1:], *without])
    annotate(client, [('An empty annotation is a valid answer', [])], first_id=24)
    run_jobs()
    return with_entities


def test_span_annotations_train_publish_and_predict_exact_spans_of_any_length(client, app, trained, redis):
    listed = client.get('/versions?project=2').json['projects']['2']
    version = listed['current']
    assert version.startswith('v1-')
    details = listed['details'][version]
    assert listed['task_type']['type'] == 'spans' and details['type'] == 'spans'
    assert details['spans_dropped'] == 1
    assert details['num_train'] + details['metrics']['num_eval'] == 24
    assert details['metrics']['evaluated'] is True
    assert set(details['metrics']) >= {'precision', 'recall', 'f1', 'per_type'}
    assert ProjectState(redis, '2').pending() == 0

    emoji = 'Met 😀😀 Justin Bieber at the Apple store in London 🎉 today'
    texts = [text for text, _ in trained[:6]] + [emoji, '', 'x' * 100_001]
    tasks = [payloads.span_task(100 + i, text) for i, text in enumerate(texts)]
    results = client.post('/predict', json=payloads.span_predict(tasks)).json['results']
    assert len(results) == len(tasks)
    for text, prediction in zip(texts[:7], results):
        assert prediction['model_version'] == version and 'skipped' not in prediction
        check_spans(text, prediction['result'])
    assert sum(len(p['result']) for p in results[:6]) > 0, 'the tagger finds entities in tweets it trained on'
    assert results[7]['skipped'] == 'data.content is empty' and results[7]['score'] == 1.0
    assert results[8]['skipped'] == 'data.content has 100001 characters; MAX_TEXT_CHARS is 20000'
    assert results[8]['result'] == [] and results[8]['score'] == 1.0

    metrics = client.get('/metrics').text
    assert value(metrics, 'lsal_model_entity_f1', project=2, version=version) is not None
    assert any(name == 'lsal_model_entity_type_f1' and ('project', '2') in labels for name, labels in samples(metrics))

    # MAX_LENGTH is 64 tokens: a text of 12 tweets needs several windows, and every token is tagged once.
    predictor = app.extensions['lsal'].models.get('2', version)
    long_text = ' '.join(text for text, _ in trained)
    inference = predictor.infer([long_text])
    every_token = predictor.tokenizer(long_text, add_special_tokens=False, return_offsets_mapping=True)
    assert len(every_token['input_ids']) > 3 * 64
    assert inference.offsets[0].tolist() == [list(pair) for pair in every_token['offset_mapping']]
    assert inference.token_probabilities[0].shape == (len(every_token['input_ids']), 9)
    results = client.post('/predict', json=payloads.span_predict([payloads.span_task(200, long_text)])).json
    check_spans(long_text, results['results'][0]['result'])


def test_bad_span_annotations_are_refused_and_stored_ones_kept(client, redis, tweets):
    client.post('/setup', json=payloads.setup('2.1795558552', payloads.SPAN_CONFIG))
    text, spans = next(pair for pair in tweets if pair[1])
    annotate(client, [(text, spans)])
    bad = payloads.span_annotation_created(2, 2, text, [(0, 4, 'Animal')])
    response = client.post('/webhook', json=bad)
    assert response.status_code == 422 and "unknown label(s) ['Animal']" in response.json['error']
    bad['annotation']['result'][0]['value'].update(start=len(text), end=len(text) + 5, labels=['Person'])
    response = client.post('/webhook', json=bad)
    assert response.status_code == 422 and 'is empty or outside the text' in response.json['error']
    assert ProjectState(redis, '2').count_examples() == 1


def test_refused_config_is_named_in_setup_and_in_versions(client):
    schema = '<View><Image name="a" value="$a"/><Labels name="l" toName="a"><Label value="x"/></Labels></View>'
    response = client.post('/setup', json=payloads.setup('3.17', schema))
    assert response.status_code == 422 and 'no task type learns <Labels> over <Image>' in response.json['error']
    project = client.get('/versions?project=3').json['projects']['3']
    assert 'no task type learns <Labels> over <Image>' in project['setup_error']
    assert client.post('/setup', json=payloads.setup('3.17', payloads.SPAN_CONFIG)).status_code == 200
    assert client.get('/versions?project=3').json['projects']['3']['setup_error'] is None


def test_strategy_a_type_cannot_score_is_refused_at_setup_and_nothing_saved(client, redis):
    response = client.post('/setup', json=payloads.setup(extra_params={'strategy': 'max_entropy'}))
    assert response.status_code == 422
    assert "'max_entropy' does not score text_classification tasks" in response.json['error']
    assert ProjectState(redis, '1').task_type() is None
    spans = client.post('/setup', json=payloads.setup('2.17', payloads.SPAN_CONFIG, {'strategy': 'max_entropy'}))
    assert spans.status_code == 200
    schedule = payloads.setup(extra_params={'strategy': 'typiclust@100/max_entropy'})
    response = client.post('/setup', json=schedule)
    assert response.status_code == 422
    assert "'typiclust@100/max_entropy' does not score text_classification tasks" in response.json['error']
    schedule['extra_params']['strategy'] = 'typiclust@100/balanced'
    assert client.post('/setup', json=schedule).status_code == 200, 'a schedule of two it scores with'


def test_examples_of_an_earlier_config_type_do_not_crash_training(client, app, run_jobs, bbc, redis):
    client.post('/setup', json=payloads.setup('2.17'))
    for i, (text, label) in enumerate(bbc[:3], start=1):
        client.post('/webhook', json={**payloads.annotation_created(i, i, text, label), 'project': {'id': 2}})
    client.post('/setup', json=payloads.setup('2.17', payloads.SPAN_CONFIG))
    job_id = client.post('/webhook', json={'action': 'START_TRAINING', 'project': {'id': 2}}).json['job_id']
    run_jobs()
    job = Job.fetch(job_id, connection=redis)
    assert job.get_status() == 'finished', job.exc_info
    assert job.return_value() == {'status': 'skipped', 'reason': '0 labeled task(s); training needs two'}
    assert ProjectState(redis, '2').count_examples() == 3, 'the stored labels are kept'
