"""Two <Choices> and a <TextArea> over one <Text> in a real Label Studio: both controls are learned, both get
predictions of the new version, Label Studio keeps them, and /next serves the lowest combined score."""
import numpy as np
import pytest

from model import VersionStore
from strategies import score
from support.label_studio_api import Api, current_scores, first_version, wait_for

pytestmark = pytest.mark.e2e

CONFIG = '''<View>
  <Text name="body" value="$article"/>
  <Choices name="section" toName="body">
    <Choice value="business"/><Choice value="entertainment"/><Choice value="politics"/>
    <Choice value="sports"/><Choice value="tech"/>
  </Choices>
  <Choices name="brevity" toName="body"><Choice value="brief"/><Choice value="wordy"/></Choices>
  <TextArea name="editor_notes" toName="body"/>
</View>'''


def brevity(text):
    return 'wordy' if len(text) > 150 else 'brief'


@pytest.fixture
def backend_settings():
    # Margin and fp32: the test recomputes each control's score from the saved version.
    return {'STRATEGY': 'margin', 'INFERENCE_BF16': 'false'}


def test_two_choices_are_learned_predicted_kept_and_ordered_by_the_lowest_score(label_studio, backend, bbc,
                                                                                tmp_path):
    ls_url, token = label_studio
    backend_url, log = backend
    api = Api(ls_url, token)
    pid = api.call('POST', '/api/projects', json={'title': 'Desks', 'label_config': CONFIG})['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'article': text} for text, _ in bbc[:40]])
    sections = dict(bbc[:40])
    api.call('POST', '/api/ml', json={'url': backend_url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
    wait_for(lambda: api.project(pid)['model_version'] == 'cold-start', 'cold-start scores', log)

    for _ in range(10):
        task = api.call('GET', f'/api/projects/{pid}/next')
        text = task['data']['article']
        api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': [
            {'from_name': 'section', 'to_name': 'body', 'type': 'choices', 'value': {'choices': [sections[text]]}},
            {'from_name': 'brevity', 'to_name': 'body', 'type': 'choices', 'value': {'choices': [brevity(text)]}},
            {'from_name': 'editor_notes', 'to_name': 'body', 'type': 'textarea', 'value': {'text': ['ok']}}]})

    version, details = first_version(api, backend_url, pid, log)
    assert details['type'] == 'multi_control' and details['num_labeled'] == 10
    assert {name: notes['num_train'] for name, notes in details['per_control'].items()} == {'section': 10,
                                                                                          'brevity': 10}
    scores = current_scores(api, pid, version)
    unlabeled = [t for t in api.tasks(pid) if not t['annotations']]
    assert len(scores) == len(unlabeled) == 30
    predictor = VersionStore(tmp_path / 'models').load(str(pid), version)
    texts = [t['data']['article'] for t in unlabeled]
    margins = [score('margin', predictor.parts[name].predict_proba(texts), np.random.default_rng(0))
               for name in ('section', 'brevity')]
    for task, expected in zip(unlabeled, np.minimum(*margins)):
        [prediction] = [p for p in task['predictions'] if p['model_version'] == version]
        items = {item['from_name']: item for item in prediction['result']}
        assert sorted(items) == ['brevity', 'section'], 'Label Studio kept both controls\' result items'
        assert items['section']['value']['choices'][0] in sections.values()
        assert items['brevity']['value']['choices'][0] in ('brief', 'wordy')
        assert all(item['to_name'] == 'body' and item['type'] == 'choices' for item in items.values())
        assert prediction['score'] == pytest.approx(float(expected), abs=1e-4)
    next_task = api.call('GET', f'/api/projects/{pid}/next')
    assert scores[next_task['id']] == min(scores.values())
