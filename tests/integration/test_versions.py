"""A version that scores worse than the one serving is kept back; one can be chosen by hand."""
import base64
import threading

from backend import create_app
from backend.project_state import ProjectState
from model import in_holdout
from support import payloads
from tests.integration.test_training import annotate

AUTH = {'Authorization': 'Basic ' + base64.b64encode(b'ops:s3cret').decode()}


def relabel_training_tasks_wrong(client, pairs):
    """Give the training tasks the wrong topic, leave held-out tasks right, and queue a training:
    a worse model on the same held-out tasks."""
    topics = sorted({label for _, label in pairs})
    for number, (text, label) in enumerate(pairs, start=1):
        if not in_holdout(number, 0.2):
            wrong = topics[(topics.index(label) + 1) % len(topics)]
            client.post('/webhook', json=payloads.annotation_created(number, number, text, wrong,
                                                                     action='ANNOTATION_UPDATED'))
    assert client.post('/webhook', json=payloads.start_training()).json['status'] == 'queued'


def trained_on_80(client, run_jobs, bbc, redis, monkeypatch):
    """Project 1 trained once on 80 BBC News labels: its state and the version published."""
    monkeypatch.setenv('TRAIN_EVERY', '80')
    monkeypatch.setenv('MAX_LENGTH', '32')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:80])
    run_jobs()
    project = ProjectState(redis, '1')
    return project, project.current_version()


def test_a_worse_version_is_kept_back_and_can_be_activated_by_hand(client, run_jobs, bbc, redis, monkeypatch):
    project, good = trained_on_80(client, run_jobs, bbc, redis, monkeypatch)
    assert project.versions()[good]['metrics']['evaluated']

    relabel_training_tasks_wrong(client, bbc[:80])
    run_jobs()
    worse, summary = list(project.versions().items())[-1]
    assert worse != good and project.current_version() == good
    assert client.post('/setup', json=payloads.setup()).json['model_version'] == good
    assert summary['status'] == 'rejected' and summary['compared_with'] == good
    assert summary['metrics']['accuracy'] < summary['current_accuracy'] - 0.5
    assert summary['reject_margin'] == round(1 / 12 ** 0.5, 4), 'chance on 12 held-out tasks, over PUBLISH_TOLERANCE'
    assert 'by more than 0.2887 (PUBLISH_TOLERANCE=0.02, or 1/sqrt(12) where larger)' in summary['reason']
    assert project.pending() == 0, 'a rejected training used up its labels'

    refused = client.post(f'/versions/1/{worse}/activate')
    assert refused.status_code == 403 and 'BASIC_AUTH_USER' in refused.json['error']
    ops = create_app({'BASIC_AUTH_USER': 'ops', 'BASIC_AUTH_PASS': 's3cret'}).test_client()
    assert ops.post(f'/versions/1/{worse}/activate').status_code == 401
    assert ops.post('/versions/1/v9-none/activate', headers=AUTH).status_code == 404
    answer = ops.post(f'/versions/1/{worse}/activate', headers=AUTH)
    assert answer.status_code == 200 and answer.json['current'] == worse
    assert project.current_version() == worse and project.versions()[worse]['status'] == 'published'
    assert ops.post('/setup', json=payloads.setup(), headers=AUTH).json['model_version'] == worse
    assert ops.post(f'/versions/1/{good}/activate', headers=AUTH).json['current'] == good, 'and back'


def test_a_version_trained_on_every_label_is_not_the_yardstick(client, run_jobs, bbc, redis, monkeypatch):
    # The first version trains on all 80 labels (below MIN_EVAL_LABELS), the tasks held out later included.
    monkeypatch.setenv('MIN_EVAL_LABELS', '81')
    project, first = trained_on_80(client, run_jobs, bbc, redis, monkeypatch)
    assert project.versions()[first]['metrics']['evaluated'] is False

    # Wrong training labels: on its held-out tasks the next version scores far below one that learned them.
    monkeypatch.setenv('MIN_EVAL_LABELS', '20')
    relabel_training_tasks_wrong(client, bbc[:80])
    run_jobs()
    second, summary = list(project.versions().items())[-1]
    assert summary['status'] == 'published' and project.current_version() == second, summary.get('reason')
    assert summary['metrics']['evaluated'] and summary['metrics']['eval_fraction'] == 0.2
    assert 'compared_with' not in summary
    assert summary['not_compared'] == f'{first} trained on some of the tasks held out now'
    page = client.get('/status/1').get_data(as_text=True)
    assert f'without comparing: {first} trained on some of the tasks held out now' in page


def test_concurrent_updates_of_a_version_all_land_and_a_forgotten_one_stays_forgotten(redis):
    project = ProjectState(redis, '1')
    project.publish('v1', {'created_at': 1.0})

    def update(name):
        for i in range(200):
            ProjectState(redis, '1').update_version('v1', **{f'{name}{i}': i})

    threads = [threading.Thread(target=update, args=(name,)) for name in ('rescore', 'status')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = project.versions()['v1']
    assert len(summary) == 1 + 2 * 200, 'an update read before another one wrote would drop it'

    project.forget_versions(['v1'])
    project.update_version('v1', rescore={'done': True})
    assert project.versions() == {}


def test_concurrent_counts_in_a_version_add_up_and_defaults_keep_what_is_stored(redis):
    project = ProjectState(redis, '1')
    project.publish('v1', {'created_at': 1.0})

    def count(name):
        for _ in range(100):
            ProjectState(redis, '1').count_in_version('v1', 'deleted_predictions', {name: 1, 'shared': 1})

    threads = [threading.Thread(target=count, args=(name,)) for name in ('cold-start', 'v0')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    project.update_version('v1', defaults={'deleted_predictions': {}, 'rescore_skipped': None}, rescore_skipped='x')
    summary = project.versions()['v1']
    assert summary['deleted_predictions'] == {'cold-start': 100, 'v0': 100, 'shared': 200}
    assert summary['rescore_skipped'] == 'x', 'a field passed wins over its default'
    project.update_version('v2', defaults={'deleted_predictions': {}})
    assert 'v2' not in project.versions(), 'a version not kept is not created'


def test_a_sync_keeps_what_webhooks_wrote_while_it_listed_label_studio(redis):
    project = ProjectState(redis, '1')
    project.put_examples({1: {'task': 1, 'choices': ['a']}, 2: {'task': 2, 'choices': ['a']}})
    project.begin_sync(60)
    listed = {1: {'task': 1, 'choices': ['b']}, 2: {'task': 2, 'choices': ['a']}, 3: {'task': 3, 'choices': ['a']}}
    project.put_examples({4: {'task': 4, 'choices': ['new']}, 3: {'task': 3, 'choices': ['updated']}})
    project.delete_examples([2])
    project.replace_examples(listed)
    stored = {e['annotation']: e['choices'] for e in project.annotations()}
    assert stored == {1: ['b'], 3: ['updated'], 4: ['new']}, 'Label Studio\'s listing, but what webhooks wrote since'
    assert not redis.exists('lsal:project:1:labels_touched') and not redis.exists('lsal:project:1:syncing')
    project.put_examples({5: {'task': 5, 'choices': ['a']}})
    assert not redis.exists('lsal:project:1:labels_touched'), 'nothing noted outside a sync'


def test_a_sync_ending_while_webhooks_write_loses_none_of_them(redis):
    project = ProjectState(redis, '1')
    project.begin_sync(60)
    done = threading.Event()

    def webhooks():
        for i in range(100, 400):
            ProjectState(redis, '1').put_examples({i: {'task': i, 'choices': ['a']}})
        done.set()

    thread = threading.Thread(target=webhooks)
    thread.start()
    while not redis.hlen('lsal:project:1:labels'):
        pass
    project.replace_examples({1: {'task': 1, 'choices': ['a']}})
    thread.join()
    assert done.is_set()
    assert {e['annotation'] for e in project.annotations()} == {1, *range(100, 400)}
