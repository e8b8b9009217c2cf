"""Span labeling in a real Label Studio: label what /next serves -> fine-tune a tagger -> spans pushed and ordered."""
import random

import pytest

from support.label_studio_api import Api, backend_project, current_scores, first_version, wait_for
from support.payloads import SPAN_CONFIG, SPAN_LABELS

pytestmark = pytest.mark.e2e


def label_next_tasks(api, project_id, count, spans_by_text):
    """Mark the true spans on the tasks Label Studio serves next, as an annotator's client would."""
    for _ in range(count):
        task = api.call('GET', f'/api/projects/{project_id}/next')
        text = task['data']['content']
        result = [{'from_name': 'entity', 'to_name': 'post', 'type': 'labels',
                   'value': {'start': s, 'end': e, 'text': text[s:e], 'labels': [label]}}
                  for s, e, label in spans_by_text[text]]
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': result})


def test_spans_retrain_push_exact_spans_and_order_the_next_task(label_studio, backend, tweets):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    # Three quarters of the pool has entities (a fifth of WNUT-16's tweets do): ten labels then hold enough
    # entities for the first version to mark some, whichever ten the cold start serves.
    pool = [pair for pair in tweets if pair[1]][:45] + [pair for pair in tweets if not pair[1]][:15]
    random.Random(0).shuffle(pool)
    assert sum('🔥' in text for text, _ in pool) > 10, 'emoji before entities'
    pid = api.call('POST', '/api/projects', json={'title': 'Tweets', 'label_config': SPAN_CONFIG})['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'content': text} for text, _ in pool])
    spans_by_text = dict(pool)
    api.call('POST', '/api/ml', json={'url': backend_url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
    wait_for(lambda: api.project(pid)['model_version'] == 'cold-start', 'cold-start scores', log)

    label_next_tasks(api, pid, 10, spans_by_text)
    version, _ = first_version(api, backend_url, pid, log)

    # What Label Studio stored is what was meant: one prediction of the version per unlabeled task,
    # every span exactly the text it names (emoji count one), only configured labels, no overlap.
    scores = current_scores(api, pid, version)
    unlabeled = [t for t in api.tasks(pid) if not t['annotations']]
    assert len(unlabeled) == len(scores) == 50
    spans_pushed = 0
    for task in unlabeled:
        text = task['data']['content']
        prediction = next(p for p in task['predictions'] if p['model_version'] == version)
        end = 0
        for item in sorted(prediction['result'], key=lambda r: r['value']['start']):
            value = item['value']
            assert (item['from_name'], item['to_name'], item['type']) == ('entity', 'post', 'labels')
            assert text[value['start']:value['end']] == value['text'] != ''
            assert value['labels'][0] in SPAN_LABELS.values() and value['start'] >= end
            end = value['end']
            spans_pushed += 1
    assert spans_pushed > 0, 'the first version marks entities'
    next_task = api.call('GET', f'/api/projects/{pid}/next')
    assert scores[next_task['id']] == min(scores.values())

    # With 20 labels (MIN_EVAL_LABELS) the next version is evaluated on held-out tasks: entity F1.
    label_next_tasks(api, pid, 10, spans_by_text)
    second = wait_for(lambda: len(backend_project(backend_url, pid, log)['versions']) >= 2
                      and backend_project(backend_url, pid, log)['versions'][-1], 'a second version', log)
    details = backend_project(backend_url, pid, log)['details'][second]
    assert details['type'] == 'spans' and details['num_labeled'] == 20
    assert details['metrics']['evaluated'] is True
    assert 0.0 <= details['metrics']['f1'] <= 1.0 and set(details['metrics']['per_type']) <= set(SPAN_LABELS.values())
    wait_for(lambda: (backend_project(backend_url, pid, log)['details'][second].get('agreement') or {}).get('measure')
             == 'entity_f1', 'the entity-level agreement between the two versions', log)
