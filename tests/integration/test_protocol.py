"""The HTTP protocol against a real Redis: shapes, validation, auth, webhook bookkeeping."""
import base64

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from backend import create_app
from backend.cli import main
from backend.project_state import ProjectState
from model.task_types import parse_label_config
from support import payloads
from tests.prometheus import value


def test_health(client):
    response = client.get('/health')
    assert response.status_code == 200
    assert response.json['status'] == 'UP'


def test_setup_answers_untrained_and_stores_config_and_params(client, redis):
    response = client.post('/setup', json=payloads.setup(extra_params='{"strategy": "entropy", "train_every": 2}'))
    assert response.status_code == 200
    assert response.json == {'model_version': 'untrained', 'task_type': 'text_classification', 'ignored': []}
    project = ProjectState(redis, '1')
    assert project.task_type().labels == ('business', 'entertainment', 'politics', 'sports', 'tech')
    assert project.params() == {'strategy': 'entropy', 'train_every': 2}


def test_a_config_with_tags_no_task_type_learns_is_served_and_says_what_it_ignores(client):
    schema = payloads.LABEL_CONFIG.replace('</View>', '<TextArea name="notes" toName="text"/><Rating name="stars" '
                                                      'toName="text"/></View>')
    response = client.post('/setup', json=payloads.setup(schema=schema))
    ignored = ['<TextArea name="notes">: no task type learns <TextArea>',
               '<Rating name="stars">: no task type learns <Rating>']
    assert response.status_code == 200 and response.json['ignored'] == ignored
    assert client.get('/versions?project=1').json['projects']['1']['task_type']['ignored'] == ignored
    page = client.get('/status/1').get_data(as_text=True)
    assert 'Not learned from this config: &lt;TextArea name=&#34;notes&#34;&gt;' in page
    notes = {'from_name': 'notes', 'to_name': 'text', 'type': 'textarea', 'value': {'text': ['a note']}}
    body = payloads.annotation_created(1, 1, 'hello', 'tech')
    body['annotation']['result'].append(notes)
    assert client.post('/webhook', json=body).json['stored'] == 1, 'the topic is learned, the note left alone'
    body = payloads.annotation_created(2, 2, 'only a note', 'tech')
    body['annotation']['result'] = [notes]
    assert client.post('/webhook', json=body).json['stored'] == 0


def test_predict_before_training_gives_no_preannotation_and_a_random_order(client):
    tasks = [payloads.task(i, f'text number {i}') for i in range(1, 21)] + [payloads.task(21, '  ')]
    response = client.post('/predict', json=payloads.predict(tasks))
    assert response.status_code == 200
    results = response.json['results']
    assert len(results) == 21
    assert all(r['result'] == [] and r['model_version'] == 'untrained' for r in results)
    scores = [r['score'] for r in results[:20]]
    assert all(0 <= s < 1 for s in scores) and len(set(scores)) == 20
    assert results[20]['score'] == 1.0, 'an empty text comes last'
    again = client.post('/predict', json=payloads.predict(tasks)).json['results']
    assert [r['score'] for r in again] == [r['score'] for r in results]


@pytest.mark.parametrize('body, status, message', [
    (b'{not json', 400, 'not valid JSON'),
    (b'[1, 2]', 400, 'expected a JSON object'),
    (b'{"project": "1.2"}', 400, 'tasks: expected a list'),
    (b'{"tasks": [1], "project": "1.2"}', 400, 'tasks: expected a list of task objects'),
    (b'{"tasks": [{"id": 3, "data": {"body": "x"}}], "project": "1"}', 400, 'label_config: missing'),
    (b'{"tasks": [], "project": "x.1"}', 400, 'project: expected a Label Studio project id'),
    ('{"tasks": [], "project": "1.\u00b2"}'.encode(), 400, 'project: expected "<id>.<created timestamp>"'),
    (b'{"tasks": [], "project": "1.' + b'9' * 5000 + b'"}', 400, 'characters)'),
    (b'{"tasks": [], "project": 1.5}', 400, 'project: expected a Label Studio project id, got 1.5'),
    (b'{"tasks": [], "x": ' + b'1' * 5000 + b'}', 400, 'body: not valid JSON'),
    (b'[' * 100000 + b']' * 100000, 400, 'body: not valid JSON'),
    (b'{"tasks": [], "project": "1", "label_config": {"View": 1}}', 400, 'label_config: expected the labeling'),
    (b'{"tasks": [{"id": 3, "data": "abc"}], "project": "1", "label_config": "' + payloads.LABEL_CONFIG.replace(
        '"', '\\"').replace('\n', ' ').encode() + b'"}', 422, 'task 3: data.text is missing or not text'),
])
def test_predict_bad_input(client, body, status, message):
    response = client.post('/predict', data=body, content_type='application/json')
    assert response.status_code == status
    assert message in response.json['error']


def test_predict_task_without_the_text_field_is_named(client):
    body = payloads.predict([payloads.task(1, 'ok'), {'id': 7, 'data': {'body': 'wrong field'}}])
    response = client.post('/predict', json=body)
    assert response.status_code == 422
    assert response.json['error'].startswith('task 7: data.text is missing')


@pytest.mark.parametrize('body, status, message', [
    ({'project': '1.2', 'schema': '<View><Video name="v" value="$v"/><Choices name="c" toName="v">'
                                  '<Choice value="a"/><Choice value="b"/></Choices></View>'},
     422, 'no task type learns <Choices> over <Video>'),
    ({'project': '1.2', 'schema': '<View><Image name="i" value="$i"/></View>'}, 422, 'no control tag'),
    ({'project': '1.2'}, 400, 'schema: expected'),
    ({'schema': payloads.LABEL_CONFIG}, 400, 'project: expected'),
    ({'project': '\u00b2', 'schema': payloads.LABEL_CONFIG}, 400, 'project: expected a Label Studio project id'),
    ({'project': '7' * 5000, 'schema': payloads.LABEL_CONFIG}, 400, 'project: expected a Label Studio project id'),
    (payloads.setup(extra_params={'strategy': 'margin@\u00b2/entropy'}), 422, "unknown 'margin@\u00b2/entropy'"),
    (payloads.setup(extra_params={'strategy': 'margin@' + '9' * 5000 + '/entropy'}), 422, 'unknown'),
    (payloads.setup(extra_params={'box_threshold': 10 ** 400}), 400, 'extra_params.box_threshold'),
    (payloads.setup(extra_params='{"train_every": ' + '1' * 5000 + '}'), 400, 'extra_params: not valid JSON'),
    (payloads.setup(extra_params='{"strategy": "magic"}'), 422, "unknown 'magic'"),
    (payloads.setup(extra_params={'train_every': 0}), 400, 'extra_params.train_every'),
    (payloads.setup(extra_params={'colour': 'red'}), 400, "unknown key(s) ['colour']"),
    (payloads.setup(extra_params='{oops'), 400, 'extra_params: not valid JSON'),
])
def test_setup_bad_input(client, body, status, message):
    response = client.post('/setup', json=body)
    assert response.status_code == status
    assert message in response.json['error']


def test_webhook_records_annotations_and_counts_them(client, redis):
    client.post('/setup', json=payloads.setup())
    response = client.post('/webhook', json=payloads.annotation_created(10, 1, 'Stocks rallied', 'business'))
    assert response.status_code == 200
    assert response.json['stored'] == 1 and response.json['pending'] == 1
    updated = payloads.annotation_created(10, 1, 'Stocks rallied', 'politics', action='ANNOTATION_UPDATED')
    assert client.post('/webhook', json=updated).json['pending'] == 1, 'an update does not count again'
    assert client.post('/webhook', json=updated).json['pending'] == 1, 'nor does a retried webhook'
    examples = ProjectState(redis, '1').annotations()
    assert examples == [{'task': 1, 'text': 'Stocks rallied', 'choices': ['politics'], 'annotator': 1,
                         'annotation': 10}]


def test_webhook_bulk_create_and_plural_delete(client, redis):
    client.post('/setup', json=payloads.setup())
    items = [(20 + i, i, f'text {i}', 'tech') for i in range(3)]
    assert client.post('/webhook', json=payloads.annotations_created(items)).json['stored'] == 3
    response = client.post('/webhook', json=payloads.annotations_deleted([20, 21]))
    assert response.json == {'status': 'deleted', 'deleted': 2}
    assert [e['task'] for e in ProjectState(redis, '1').annotations()] == [2]


def test_skipped_annotation_is_not_training_data_and_clears_an_earlier_one(client, redis):
    client.post('/setup', json=payloads.setup())
    client.post('/webhook', json=payloads.annotation_created(30, 3, 'A film', 'entertainment'))
    cancelled = payloads.annotation_created(30, 3, 'A film', None, action='ANNOTATION_UPDATED')
    cancelled['annotation']['was_cancelled'] = True
    response = client.post('/webhook', json=cancelled)
    assert response.json['not_training_data'] == 1
    assert ProjectState(redis, '1').annotations() == []


def _set(path, value):
    def change(body):
        *parents, last = path
        target = body
        for key in parents:
            target = target[key]
        target[last] = value
    return change


@pytest.mark.parametrize('change, status, message', [
    (lambda body: body['annotation']['result'][0]['value'].update(choices=['weather']), 422,
     "unknown label(s) ['weather']"),
    (lambda body: body['annotation']['result'][0]['value'].update(choices=['tech', 'sports']), 422, '2 choices'),
    (lambda body: body['task']['data'].pop('text'), 422, 'data.text is missing'),
    (lambda body: body['task']['data'].update(text='   '), 422, 'data.text is empty'),
    (_set(['annotation', 'id'], 'abc'), 400, 'annotation: expected objects with an integer "id"'),
    (_set(['annotation', 'id'], [2]), 400, 'annotation: expected objects with an integer "id"'),
    (_set(['annotation', 'task'], [1]), 400, 'annotation 41: "task" is not a task id'),
    (_set(['task', 'id'], 'abc'), 400, 'task: expected an integer "id" for annotation 41'),
    (_set(['annotation', 'result'], 5), 400, 'annotation 41: "result" is not a list of regions'),
    (lambda body: body['annotation']['result'][0].update(value=['x']), 400, '"result" is not a list of regions'),
])
def test_webhook_rejects_bad_annotations_without_losing_stored_ones(client, redis, change, status, message):
    client.post('/setup', json=payloads.setup())
    client.post('/webhook', json=payloads.annotation_created(40, 4, 'Kept text', 'tech'))
    bad = payloads.annotation_created(41, 5, 'Bad text', 'tech')
    change(bad)
    response = client.post('/webhook', json=bad)
    assert response.status_code == status
    assert message in response.json['error']
    assert [(e['task'], e['choices']) for e in ProjectState(redis, '1').annotations()] == [(4, ['tech'])]


@pytest.mark.parametrize('body, status, message', [
    ({}, 400, 'action: expected'),
    ({'action': 'ANNOTATION_CREATED', 'project': {'id': 'abc'}}, 400, 'project: expected'),
    ({'action': 'ANNOTATION_CREATED', 'project': {'id': 99}, 'annotation': {}, 'task': {}}, 422,
     'no labeling config known'),
    ({'action': 'ANNOTATIONS_DELETED', 'project': {'id': 1}, 'annotations': 5}, 400, 'annotations: expected'),
    ({'action': 'ANNOTATIONS_DELETED', 'project': {'id': 1}, 'annotations': [{'id': 'abc'}]}, 400,
     'annotations: expected a list of objects with an integer "id"'),
])
def test_webhook_bad_input(client, body, status, message):
    response = client.post('/webhook', json=body)
    assert response.status_code == status
    assert message in response.json['error']


def test_a_refused_project_id_is_not_listed(client):
    assert client.post('/setup', json={'project': '\u00b2', 'schema': payloads.LABEL_CONFIG}).status_code == 400
    for route in ('/versions', '/metrics', '/status'):
        assert client.get(route).status_code == 200, route


def test_other_actions_are_acknowledged_and_ignored(client, redis):
    response = client.post('/webhook', json={'action': 'PROJECT_CREATED', 'project': {'id': 1}})
    assert response.json == {'status': 'ignored', 'action': 'PROJECT_CREATED'}
    assert not redis.exists('lsal:project:1:labels')
    response = client.post('/webhook', json={'action': 'A' * 100_000})
    assert response.json == {'status': 'ignored', 'action': 'A' * 100}
    assert value(client.get('/metrics').get_data(as_text=True), 'lsal_webhooks_total', action='ignored') == 2
    assert redis.hlen('lsal:stats') == 1, 'one counter for every action the backend does not handle'


def test_the_train_signal_trains_at_once_unless_label_studio_sends_it_on_every_submission(client):
    client.post('/setup', json=payloads.setup())
    for n in (1, 2):
        client.post('/webhook', json=payloads.annotation_created(n, n, f'text {n}', 'tech'))
    on_submission = {'action': 'START_TRAINING',
                     'project': {**payloads.PROJECT, 'min_annotations_to_start_training': 1}}
    assert client.post('/webhook', json=on_submission).json == {
        'status': 'not due', 'job_id': None, 'pending': 2, 'train_every': 4}, 'TRAIN_EVERY=4 still decides'
    clicked = {'action': 'START_TRAINING', 'project': {**payloads.PROJECT, 'min_annotations_to_start_training': 0}}
    answer = client.post('/webhook', json=clicked).json
    assert answer['status'] == 'queued' and answer['job_id']
    assert client.post('/webhook', json=clicked).json['status'] == 'already queued'


def test_burst_of_webhooks_queues_one_training(client, app):
    client.post('/setup', json=payloads.setup())
    for i in range(12):
        response = client.post('/webhook', json=payloads.annotation_created(100 + i, i, f'text {i}', 'tech'))
        assert response.status_code == 200
    queues = app.extensions['lsal'].queues
    assert len(queues['train']) == 1, 'TRAIN_EVERY=4 and 12 annotations, but one job while none has started'
    assert len(queues['score']) == 0
    assert client.post('/webhook', json=payloads.start_training()).json['status'] == 'already queued'


def test_scores_go_to_their_own_queue_so_they_never_wait_behind_a_training(env, monkeypatch):
    monkeypatch.setenv('LABEL_STUDIO_URL', 'http://127.0.0.1:9')
    monkeypatch.setenv('LABEL_STUDIO_API_KEY', 'token')
    app = create_app()
    app.test_client().post('/setup', json=payloads.setup())
    queues = app.extensions['lsal'].queues
    assert [job.func_name for job in queues['score'].jobs] == ['backend.rescore.cold_start_project']
    assert queues['score'].name == f'{env["QUEUE_NAME"]}-score' and len(queues['train']) == 0


def test_each_task_type_scores_with_its_default_unless_the_project_or_strategy_names_one(env, monkeypatch):
    configs = {'text': payloads.LABEL_CONFIG, 'spans': payloads.SPAN_CONFIG, 'images': payloads.IMAGE_CONFIG}
    ctx = create_app().extensions['lsal']
    assert {name: ctx.acquisition(None, parse_label_config(xml)).strategy for name, xml in configs.items()} == {
        'text': 'margin', 'spans': 'margin', 'images': 'typiclust'}, 'a schedule: typiclust below 100 labels'
    assert ctx.strategy(parse_label_config(payloads.IMAGE_CONFIG), {}) == 'typiclust@100/balanced'
    assert ctx.strategy(parse_label_config(payloads.IMAGE_CONFIG), {'strategy': 'entropy'}) == 'entropy'
    monkeypatch.setenv('STRATEGY', 'random')
    ctx = create_app().extensions['lsal']
    assert {ctx.acquisition(None, parse_label_config(xml)).strategy for xml in configs.values()} == {'random'}
    assert ctx.strategy(parse_label_config(payloads.IMAGE_CONFIG), {'strategy': 'entropy'}) == 'entropy'


@pytest.mark.parametrize('value', ['gpu', 'train,gpu', ','])
def test_worker_takes_only_known_kinds_of_work(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['worker', '--queues', value])
    assert exit_info.value.code == 2
    assert 'choose from score, train' in capsys.readouterr().err


def test_versions_of_an_unknown_project_is_404(client):
    response = client.get('/versions?project=404')
    assert response.status_code == 404
    assert 'project: 404 is not known' in response.json['error']


def test_metrics_is_prometheus_text_that_every_web_process_adds_up(client, env):
    client.post('/setup', json=payloads.setup())
    client.post('/webhook', json=payloads.annotation_created(1, 1, 'hello', 'tech'))
    other_process = create_app().test_client()  # another gunicorn worker: its own app, the same Redis
    other_process.post('/webhook', json=payloads.annotation_created(2, 2, 'again', 'tech'))
    response = client.get('/metrics')
    assert response.headers['Content-Type'] == CONTENT_TYPE_LATEST
    text = response.get_data(as_text=True)
    assert value(text, 'lsal_webhooks_total', action='ANNOTATION_CREATED') == 2
    assert value(text, 'lsal_labeled_annotations', project='1') == 2
    assert value(text, 'lsal_queue_jobs', queue=f'{env["QUEUE_NAME"]}-score') == 0
    assert value(text, 'lsal_failed_jobs', queue=f'{env["QUEUE_NAME"]}-train') == 0
    webhooks = dict(route='/webhook', method='POST', status=200)
    assert value(text, 'lsal_request_seconds_count', **webhooks) == 2
    assert value(text, 'lsal_request_seconds_bucket', **webhooks, le='60.0') == 2
    assert 0 < value(text, 'lsal_request_seconds_sum', **webhooks) < 60
    assert value(text, 'lsal_request_seconds_count', route='/setup', method='POST', status=200) == 1


def _basic(user, password):
    return {'Authorization': 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()}


@pytest.fixture
def secured(env):
    return create_app({'BASIC_AUTH_USER': 'ls', 'BASIC_AUTH_PASS': 's3cret', 'WEBHOOK_SECRET': 'hook'}).test_client()


def test_basic_auth_guards_every_route_but_the_health_probe(secured):
    for route in ('/versions', '/metrics', '/status'):
        assert secured.get(route).status_code == 401, route
        assert secured.get(route, headers=_basic('ls', 'wrong')).status_code == 401, route
    assert secured.get('/versions', headers=_basic('ls', 's3cret')).status_code == 200
    assert secured.post('/predict', json={}).status_code == 401
    assert secured.post('/setup', json={}).status_code == 401
    assert secured.get('/health').json['status'] == 'UP', 'probes carry no credentials'
    assert secured.get('/health', headers=_basic('ls', 's3cret')).status_code == 200, 'as Label Studio calls it'


def test_basic_auth_without_a_webhook_secret_warns_that_webhooks_will_be_refused(env, caplog):
    create_app({'BASIC_AUTH_USER': 'ls', 'BASIC_AUTH_PASS': 's3cret'})
    assert 'WEBHOOK_SECRET is not' in caplog.text and 's3cret' not in caplog.text
    caplog.clear()
    create_app({'BASIC_AUTH_USER': 'ls', 'BASIC_AUTH_PASS': 's3cret', 'WEBHOOK_SECRET': 'hook'})
    assert 'WEBHOOK_SECRET' not in caplog.text


def test_a_project_switched_off_uncertainty_sampling_is_switched_back_once_it_has_scores(env, redis):
    app = create_app({'LABEL_STUDIO_URL': 'http://127.0.0.1:9', 'LABEL_STUDIO_API_KEY': 'token'})
    client, queue = app.test_client(), app.extensions['lsal'].queues['score']
    client.post('/setup', json=payloads.setup())
    saved = {'action': 'PROJECT_UPDATED', 'project': {**payloads.PROJECT, 'sampling': 'Sequential sampling'}}
    assert client.post('/webhook', json=saved).json['job_id'] is None, 'no scores pushed yet: nothing to restore'
    redis.set(ProjectState(redis, '1').key('cold_start'), 'done')  # the cold start's scores were pushed
    restoring = client.post('/webhook', json=saved).json
    assert restoring['status'] == 'restoring uncertainty sampling'
    assert queue.fetch_job(restoring['job_id']).func_name == 'backend.rescore.restore_sampling'
    kept = {**saved, 'project': {**saved['project'], 'sampling': 'Uncertainty sampling'}}
    assert client.post('/webhook', json=kept).json['job_id'] is None
    client.post('/setup', json=payloads.setup(extra_params={'uncertainty_sampling': False}))
    assert client.post('/webhook', json=saved).json['job_id'] is None, 'the project asked for its own order'


def test_webhook_accepts_the_secret_header_instead_of_basic_auth(secured):
    body = {'action': 'PROJECT_UPDATED', 'project': {'id': 1}}
    assert secured.post('/webhook', json=body).status_code == 401
    assert secured.post('/webhook', json=body, headers={'X-Webhook-Secret': 'nope'}).status_code == 401
    assert secured.post('/webhook', json=body, headers={'X-Webhook-Secret': 'hook'}).status_code == 200
    assert secured.post('/webhook', json=body, headers=_basic('ls', 's3cret')).status_code == 200


@pytest.mark.parametrize('route', ['/predict', '/webhook', '/setup'])
def test_body_over_the_size_limit_is_413_naming_the_limit(env, route):
    client = create_app({'MAX_REQUEST_BYTES': '100'}).test_client()
    response = client.post(route, data=b'{"tasks": [' + b' ' * 200 + b']}', content_type='application/json')
    assert response.status_code == 413
    assert 'MAX_REQUEST_BYTES=100' in response.json['error']


def test_unknown_route_and_method_are_json(client):
    assert client.get('/nowhere').status_code == 404
    assert client.get('/nowhere').json['status'] == 404
    assert client.get('/predict').status_code == 405


def test_predict_over_the_task_or_character_cap_is_413_naming_the_limit(env, monkeypatch):
    monkeypatch.setenv('MAX_PREDICT_TASKS', '3')
    monkeypatch.setenv('MAX_PREDICT_CHARS', '100')
    client = create_app().test_client()
    tasks = [payloads.task(i, 'x' * 30) for i in range(4)]
    response = client.post('/predict', json=payloads.predict(tasks))
    assert response.status_code == 413 and 'MAX_PREDICT_TASKS=3' in response.json['error']
    response = client.post('/predict', json=payloads.predict([payloads.task(1, 'x' * 101)]))
    assert response.status_code == 413 and '101 characters of data.text' in response.json['error']
    assert client.post('/predict', json=payloads.predict(tasks[:3])).status_code == 200
