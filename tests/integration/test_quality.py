"""The label-quality job with a real worker and encoder: suspects, agreement, consensus training data."""
import pytest

from backend.scheduler import request_quality
from model import in_holdout
from support import payloads
from tests.agreement import hand_alpha
from tests.prometheus import value

FLIPPED = (3, 17, 29)
"""Tasks whose label is deliberately wrong."""

SECOND_ANNOTATOR = range(1, 11)
"""Tasks a second annotator labels too (their label: the first one's, except on tasks 2 and 5)."""


def wrong(label):
    return 'tech' if label != 'tech' else 'sports'


def bulk(items):
    """One ANNOTATIONS_CREATED of ``(annotation, task, text, label, annotator)``."""
    body = payloads.annotations_created([(a, t, text, label) for a, t, text, label, _ in items])
    for annotation, (*_, annotator) in zip(body['annotation'], items):
        annotation['completed_by'] = {'id': annotator, 'email': f'annotator{annotator}@example.com'}
    return body


@pytest.fixture
def labeled(client, bbc):
    """Project 1: 40 BBC News tasks, three labels wrong, ten labeled by a second annotator."""
    client.post('/setup', json=payloads.setup())
    items = []
    for task, (text, label) in enumerate(bbc[:40], start=1):
        items.append((task, task, text, wrong(label) if task in FLIPPED else label, 1))
    second = [(100 + task, task, bbc[task - 1][0], wrong(bbc[task - 1][1]) if task in (2, 5) else items[task - 1][3], 2)
              for task in SECOND_ANNOTATOR]
    assert client.post('/webhook', json=bulk(items + second)).json['stored'] == 50
    return items, second


def test_suspects_lead_with_the_wrong_labels_and_agreement_matches_a_hand_computation(client, run_jobs, labeled):
    items, second = labeled
    assert client.get('/quality?project=1').json['reason'].startswith('not computed yet')
    run_jobs()
    versions = client.get('/versions?project=1').json['projects']['1']
    summary = versions['details'][versions['current']]
    assert summary['num_labeled'] == 40, 'one example per task: the consensus of its annotations'

    report = client.get('/quality?project=1').json
    assert report['version'] == versions['current'] and report['judged'] == 50
    assert set(report['sources']) == {'held_out+cross_validation+tuned_cross_validation',
                                      'cross_validation+tuned_cross_validation'}
    assert sum(report['sources'].values()) == 50
    suspects = report['suspects']
    assert suspects, report
    # Wrong: the three flipped, the second annotator's two, and their copy of flipped task 3 (annotation 103).
    wrong = set(FLIPPED) | {102, 105, 103}
    ranked = [s['annotation'] for s in suspects]
    k = len(wrong)
    # On this 2-layer encoder, 2 epochs and 40 tasks: 4 of the top 6 and 5 of the top 12 (chance: under 1 in 6).
    assert len(wrong & set(ranked[:k])) >= 3 and len(wrong & set(ranked[:2 * k])) >= 4, suspects
    first = suspects[0]
    assert {'task', 'annotation', 'annotator', 'given', 'suggested', 'quality', 'source'} <= set(first)
    assert first['given'] != first['suggested'] and 0 <= first['quality'] <= 1
    assert [s['quality'] for s in suspects] == sorted(s['quality'] for s in suspects)

    agreement = report['agreement']
    shared = sorted(SECOND_ANNOTATOR)
    by_first = {task: label for _, task, _, label, _ in items}
    by_second = {task: label for _, task, _, label, _ in second}
    expected = hand_alpha([by_first[t] for t in shared], [by_second[t] for t in shared])
    assert agreement['alpha'] == pytest.approx(expected, abs=1e-4)
    assert agreement['pairs'] == [{'annotators': [1, 2],
                                   'tasks': 10, 'alpha': pytest.approx(expected, abs=1e-4), 'agreement': 0.8}]
    people = {p['annotator']: p for p in agreement['annotators']}
    assert people[1]['annotations'] == 40 and people[2]['annotations'] == 10

    metrics = client.get('/metrics').get_data(as_text=True)
    assert value(metrics, 'lsal_label_suspects', project='1') == report['num_suspects']
    assert value(metrics, 'lsal_annotator_alpha', project='1') == pytest.approx(expected, abs=1e-4)
    page = client.get('/status/1').get_data(as_text=True)
    assert 'id="suspects"' in page and f'>{first["task"]}<' in page

    gone = suspects[0]['annotation']
    client.post('/webhook', json=payloads.annotations_deleted([gone]))
    assert gone not in {s['annotation'] for s in client.get('/quality?project=1').json['suspects']}, \
        'a deleted annotation drops out'


def test_training_may_leave_out_the_suspects(client, run_jobs, labeled, monkeypatch):
    run_jobs()
    suspects = client.get('/quality?project=1').json['suspects']
    monkeypatch.setenv('LEAVE_OUT_BELOW', '0.5')
    left_out = {s['annotation'] for s in suspects if s['quality'] < 0.5}
    assert left_out, suspects
    client.post('/webhook', json=payloads.start_training())
    run_jobs()
    versions = client.get('/versions?project=1').json['projects']['1']
    summary = versions['details'][versions['current']]
    items, second = labeled
    annotations_by_task = {}
    for annotation, task, *_ in items + second:
        annotations_by_task.setdefault(task, set()).add(annotation)
    lost = [task for task, annotations in annotations_by_task.items() if annotations <= left_out]
    assert summary['left_out_suspects'] == len(left_out)
    assert summary['num_labeled'] == 40 - len(lost), 'a task keeps the annotations that are not left out'


def test_too_few_labels_answer_an_empty_list_with_the_reason(client, app, run_jobs, bbc):
    client.post('/setup', json=payloads.setup(extra_params={'train_every': 100}))
    client.post('/webhook', json=bulk([(t, t, text, label, 1) for t, (text, label) in enumerate(bbc[:6], start=1)]))
    ctx = app.extensions['lsal']
    request_quality(ctx, ctx.project('1'))
    run_jobs()
    report = client.get('/quality?project=1').json
    assert report['suspects'] == [] and report['reason'] == '6 labeled tasks; labels are judged from 20 on'


@pytest.mark.parametrize('query, status, message', [
    ('', 400, 'project: expected'), ('?project=abc', 400, 'project: expected'), ('?project=77', 404, 'not known')])
def test_quality_bad_requests(client, query, status, message):
    response = client.get(f'/quality{query}')
    assert response.status_code == status and message in response.json['error']


NAMES = ('Alice', 'Bruno', 'Chen', 'Dara', 'Emil', 'Fatima', 'Goran', 'Hana')
CITIES = ('Paris', 'Lagos', 'Osaka', 'Lima', 'Oslo', 'Quito', 'Cairo', 'Perth')


def test_spans_are_judged_token_by_token_and_a_swapped_type_leads(client, run_jobs, monkeypatch):
    """Project 2: 60 sentences of one template, a name and a city each; on two held-out tasks the
    annotation is wrong (the name tagged a place; the city left out)."""
    monkeypatch.setenv('EPOCHS', '10')
    client.post('/setup', json=payloads.setup(project='2.1795558552', schema=payloads.SPAN_CONFIG,
                                              extra_params={'train_every': 1000}))
    held_out = [task for task in range(1, 61) if in_holdout(task, 0.2)]
    swapped, missed = held_out[:2]
    for task in range(1, 61):
        name, city = NAMES[task % 8], CITIES[task // 8 % 8]
        text = f'{name} flew to {city} on Monday.'
        spans = [(0, len(name), 'Place' if task == swapped else 'Person')]
        if task != missed:
            start = text.index(city)
            spans.append((start, start + len(city), 'Place'))
        client.post('/webhook', json=payloads.span_annotation_created(task, task, text, spans))
    client.post('/webhook', json={**payloads.start_training(), 'project': payloads.SPAN_PROJECT})
    run_jobs()
    report = client.get('/quality?project=2').json
    assert report.get('judged') == len(held_out) and report['sources'] == {'held_out': len(held_out)}, report
    assert {s['task'] for s in report['suspects'][:2]} == {swapped, missed}, report['suspects']
    first = report['suspects'][0]
    assert first['given'] != first['suggested'] and first['quality'] < 0.5
