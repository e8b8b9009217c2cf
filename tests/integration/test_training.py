"""Webhooks -> RQ -> fine-tune -> published version, with a real worker and a real encoder."""
import json
import os

import pytest
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from backend.project_state import VERSION_NAME, ProjectState
from model import VersionStore
from support import payloads


def annotate(client, pairs, first_id=1):
    """Send one ANNOTATION_CREATED per ``(text, label)``; task id = annotation id."""
    for offset, (text, label) in enumerate(pairs):
        number = first_id + offset
        response = client.post('/webhook', json=payloads.annotation_created(number, number, text, label))
        assert response.status_code == 200, response.json


def registries(app):
    ctx = app.extensions['lsal']
    queue = ctx.queues['train']
    return FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)


def test_annotations_train_publish_and_predict(client, app, run_jobs, bbc, redis):
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:4])
    run_jobs()
    finished, failed = registries(app)
    assert len(failed) == 0, [failed.get_job_ids()]
    assert len(finished) == 1

    version = client.post('/setup', json=payloads.setup()).json['model_version']
    assert version.startswith('v1-') and VERSION_NAME.fullmatch(version), 'Label Studio cleanup knows it as ours'
    listed = client.get('/versions?project=1').json
    assert listed['versions'] == [version]
    assert listed['projects']['1']['details'][version]['num_train'] == 4
    metrics = listed['projects']['1']['details'][version]['metrics']
    assert metrics['evaluated'] is False and 'MIN_EVAL_LABELS=20' in metrics['reason']

    manifest = json.loads((VersionStore(os.environ['MODEL_DIR']).path('1', version) / 'manifest.json').read_text())
    assert manifest['card']['labels'] == ['business', 'entertainment', 'politics', 'sports', 'tech']

    tasks = [payloads.task(1000 + i, text) for i, (text, _) in enumerate(bbc[100:110])]
    results = client.post('/predict', json=payloads.predict(tasks)).json['results']
    assert len(results) == 10
    for result in results:
        assert result['model_version'] == version
        assert 0.0 <= result['score'] <= 1.0
        assert result['result'][0]['from_name'] == 'topic'
        assert result['result'][0]['value']['choices'][0] in manifest['card']['labels']
    assert ProjectState(redis, '1').pending() == 0


def test_versions_beyond_keep_versions_are_removed(client, app, run_jobs, bbc, monkeypatch):
    monkeypatch.setenv('KEEP_VERSIONS', '2')
    client.post('/setup', json=payloads.setup())
    for round_number in range(3):
        annotate(client, bbc[4 * round_number:4 * round_number + 4], first_id=1 + 4 * round_number)
        run_jobs()
    listed = client.get('/versions?project=1').json['projects']['1']
    assert len(listed['versions']) == 2
    assert listed['current'] == listed['versions'][-1] and listed['current'].startswith('v3-')
    on_disk = VersionStore(os.environ['MODEL_DIR']).versions('1')
    assert on_disk == listed['versions']


def test_a_version_activated_by_hand_while_a_training_publishes_stays(client, run_jobs, bbc, redis, monkeypatch):
    monkeypatch.setenv('KEEP_VERSIONS', '1')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:4])
    run_jobs()
    first = ProjectState(redis, '1').current_version()
    publish = ProjectState.publish

    def publish_then_roll_back(self, version, summary):
        publish(self, version, summary)
        self.activate(first)  # a person's rollback lands before the training prunes

    monkeypatch.setattr(ProjectState, 'publish', publish_then_roll_back)
    annotate(client, bbc[4:8], first_id=5)
    run_jobs()
    assert first in VersionStore(os.environ['MODEL_DIR']).versions('1')
    result = client.post('/predict', json=payloads.predict([payloads.task(999, 'Markets fell')])).json['results'][0]
    assert result['model_version'] == first


def test_single_class_is_skipped_and_its_annotations_still_count(client, app, run_jobs, bbc, redis):
    client.post('/setup', json=payloads.setup())
    tech = [(text, label) for text, label in bbc if label == 'tech'][:4]
    annotate(client, tech)
    run_jobs()
    project = ProjectState(redis, '1')
    assert project.current_version() is None
    assert project.pending() == 4, 'a skipped training gives its annotations back'
    sport = [(text, label) for text, label in bbc if label == 'sports'][:1]
    annotate(client, sport, first_id=50)
    run_jobs()
    assert project.current_version().startswith('v1-')


def test_train_button_trains_at_once(client, run_jobs, bbc, redis):
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:2] if bbc[0][1] != bbc[1][1] else bbc[1:3])
    assert client.post('/webhook', json=payloads.start_training()).json['status'] == 'queued'
    run_jobs()
    assert ProjectState(redis, '1').current_version().startswith('v1-')


def test_a_retried_train_button_job_skips_the_labels_it_trained(client, app, run_jobs, bbc, redis):
    """RQ runs a job again when it failed or its worker died, also after it published: no second training."""
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:2] if bbc[0][1] != bbc[1][1] else bbc[1:3])
    job_id = client.post('/webhook', json=payloads.start_training()).json['job_id']
    run_jobs()
    project = ProjectState(redis, '1')
    assert len(project.versions()) == 1
    queue = app.extensions['lsal'].queues['train']
    job = Job.fetch(job_id, connection=redis)
    with redis.pipeline() as pipeline:
        job.retry(queue, pipeline)  # what RQ does with a failed or abandoned job: schedule it again
        pipeline.execute()
    queue.enqueue_job(job)  # now rather than after the retry interval
    run_jobs()
    job = Job.fetch(job_id, connection=redis)
    assert job.return_value()['status'] == 'skipped' and 'superseded' in job.return_value()['reason']
    assert len(project.versions()) == 1


def test_a_lapsed_lease_is_taken_back_unless_another_training_claimed_it(redis):
    """A training that stalled past its lease still publishes when no other training started meanwhile."""
    project = ProjectState(redis, '1')
    redis.set(project.key('labels_added'), 4)
    assert project.claim_training('stalled', 15) == 4
    redis.delete(project.key('training'))
    assert project.renew_training('stalled', 15)
    assert redis.get(project.key('training')) == b'stalled 4' and 14 <= redis.ttl(project.key('training')) <= 15
    assert project.pending() == 0
    redis.delete(project.key('training'))
    redis.set(project.key('labels_added'), 6)
    assert project.claim_training('later', 15) == 6
    assert not project.renew_training('stalled', 15) and redis.get(project.key('training')) == b'later 6'
    project.release_training('later')
    assert not project.renew_training('stalled', 15), 'another training claimed it since, even if it ended'
    assert project.claim_training('next', 15) == 6


def test_held_out_metrics_once_there_are_enough_labels(client, run_jobs, bbc, monkeypatch):
    monkeypatch.setenv('MIN_EVAL_LABELS', '10')
    monkeypatch.setenv('EVAL_FRACTION', '0.3')
    client.post('/setup', json=payloads.setup())
    annotate(client, bbc[:30])
    run_jobs()
    details = client.get('/versions?project=1').json['projects']['1']['details']
    summary = next(iter(details.values()))
    metrics = summary['metrics']
    assert metrics['evaluated'] is True
    assert metrics['num_eval'] + summary['num_train'] == 30
    assert 0.0 <= metrics['accuracy'] <= 1.0 and 0.0 <= metrics['macro_f1'] <= 1.0


@pytest.mark.slow
def test_minilm_fine_tune_is_well_above_chance_on_held_out_bbc_news(minilm, bbc):
    """The real 6-layer weights: 40 labels, 200 held-out articles, 5 classes (chance = 0.2)."""
    from model import TrainingConfig, classification_metrics, indicators
    from model.text_classification import fine_tune
    labels = sorted({label for _, label in bbc})
    train, test = bbc[:40], bbc[1000:1200]
    predictor = fine_tune(minilm, [t for t, _ in train], [[label] for _, label in train], labels,
                          config=TrainingConfig(max_length=64))
    predicted = predictor.choices(predictor.predict_proba([t for t, _ in test]))
    metrics = classification_metrics(indicators([[label] for _, label in test], labels), indicators(predicted, labels))
    assert metrics['accuracy'] > 0.75, metrics


def test_multi_label_project_trains_and_predicts_several_choices(client, run_jobs, bbc, redis):
    config = payloads.LABEL_CONFIG.replace('toName="text"', 'toName="text" choice="multiple"')
    client.post('/setup', json=payloads.setup(schema=config))
    for number, (text, label) in enumerate(bbc[:4], start=1):
        body = payloads.annotation_created(number, number, text, label)
        body['project'] = {**payloads.PROJECT, 'label_config': config}
        body['annotation']['result'][0]['value']['choices'] = [label, 'tech'] if label != 'tech' else ['tech']
        assert client.post('/webhook', json=body).status_code == 200
    run_jobs()
    version = ProjectState(redis, '1').current_version()
    assert version.startswith('v1-')
    body = payloads.predict([payloads.task(500, bbc[200][0])])
    body['label_config'] = config
    result = client.post('/predict', json=body).json['results'][0]
    assert result['model_version'] == version
    choices = result['result'][0]['value']['choices']
    assert 1 <= len(choices) <= 5
    assert set(choices) <= {'business', 'entertainment', 'politics', 'sports', 'tech'}
