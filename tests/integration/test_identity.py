"""A different Label Studio project under a known id (a reset database, a second instance) starts clean."""
import os

from backend.project_state import ProjectState
from model import VersionStore
from support import payloads
from tests.integration.test_training import annotate

FIRST, SECOND = '1.1795558552', '1.1800000000'


def test_a_new_project_with_a_known_id_starts_clean_and_the_old_state_is_kept(client, run_jobs, bbc, redis):
    client.post('/setup', json=payloads.setup(project=FIRST))
    annotate(client, bbc[:4])
    run_jobs()
    old = client.post('/setup', json=payloads.setup(project=FIRST)).json['model_version']
    assert old.startswith('v1-')

    assert client.post('/setup', json=payloads.setup(project=SECOND)).json['model_version'] == 'untrained'
    project = ProjectState(redis, '1')
    assert project.count_examples() == 0 and project.pending() == 0 and not project.versions()
    results = client.post('/predict', json=payloads.predict([payloads.task(9, 'text')], project=SECOND)).json
    assert results['model_version'] == 'untrained'

    archived = client.get('/versions').json['archived']
    assert archived == {'1.1795558552': {'versions': [old], 'labeled_annotations': 4}}
    assert ProjectState(redis, '1.1795558552').count_examples() == 4
    store = VersionStore(os.environ['MODEL_DIR'])
    assert store.versions('1.1795558552') == [old] and store.versions('1') == []

    annotate(client, bbc[4:8], first_id=5)
    run_jobs()
    new = client.post('/setup', json=payloads.setup(project=SECOND)).json['model_version']
    assert new.startswith('v2-'), 'version names stay unique across the two projects'
    assert project.versions()[new]['num_labeled'] == 4


def test_the_same_project_keeps_its_state_whichever_message_names_it(client, bbc, redis):
    client.post('/setup', json=payloads.setup(project=FIRST))
    annotate(client, bbc[:2])
    body = payloads.annotation_created(3, 3, *bbc[2])
    body['project'] = {**body['project'], 'created_at': '2026-11-24T22:15:52.123456Z'}  # 1795558552 s
    assert client.post('/webhook', json=body).json['stored'] == 1
    client.post('/predict', json=payloads.predict([payloads.task(9, 'text')], project=FIRST))
    client.post('/setup', json=payloads.setup(project='1'))
    assert ProjectState(redis, '1').count_examples() == 3
    assert client.get('/versions').json['archived'] == {}


def test_a_webhook_from_a_recreated_project_archives_the_old_state(client, bbc, redis):
    client.post('/setup', json=payloads.setup(project=FIRST))
    annotate(client, bbc[:2])
    body = payloads.annotation_created(1, 1, *bbc[5])
    body['project'] = {**body['project'], 'created_at': '2027-01-01T00:00:00Z'}
    assert client.post('/webhook', json=body).json['stored'] == 1
    assert ProjectState(redis, '1').count_examples() == 1
    assert ProjectState(redis, '1.1795558552').count_examples() == 2


def test_a_project_that_comes_back_twice_never_overwrites_its_earlier_archive(client, bbc):
    client.post('/setup', json=payloads.setup(project=FIRST))
    annotate(client, bbc[:2])
    client.post('/setup', json=payloads.setup(project=SECOND))
    annotate(client, bbc[2:3], first_id=3)
    client.post('/setup', json=payloads.setup(project=FIRST))
    annotate(client, bbc[3:6], first_id=4)
    client.post('/setup', json=payloads.setup(project=SECOND))
    archived = client.get('/versions').json['archived']
    assert {name: a['labeled_annotations'] for name, a in archived.items()} == {
        '1.1795558552': 2, '1.1800000000': 1, '1.1795558552-2': 3}
