"""Two <Choices> and a <TextArea> over one <Text>: one model per control, trained on the annotations that fill it,
predicted together, scored by the project's combine rule."""
import os

import numpy as np
import pytest

from model import VersionStore
from model.multi_control import ControlModels
from strategies import score

CONFIG = '''<View>
  <Text name="article" value="$text"/>
  <Choices name="desk" toName="article">
    <Choice value="business"/><Choice value="entertainment"/><Choice value="politics"/>
    <Choice value="sports"/><Choice value="tech"/>
  </Choices>
  <Choices name="size" toName="article"><Choice value="short"/><Choice value="long"/></Choices>
  <TextArea name="remarks" toName="article"/>
</View>'''

PROJECT = {'id': 7, 'title': 'Desks', 'label_config': CONFIG, 'model_version': ''}


def size_of(text):
    return 'long' if len(text) > 150 else 'short'


def created(annotation_id, text, desk=None, size=None, remark='checked'):
    result = [{'from_name': 'remarks', 'to_name': 'article', 'type': 'textarea', 'value': {'text': [remark]}}]
    for name, value in (('desk', desk), ('size', size)):
        if value:
            result.append({'from_name': name, 'to_name': 'article', 'type': 'choices', 'value': {'choices': [value]}})
    task = {'id': annotation_id, 'data': {'text': text}, 'project': 7}
    return {'action': 'ANNOTATION_CREATED', 'project': PROJECT, 'task': task,
            'annotation': {'id': annotation_id, 'task': annotation_id, 'result': result, 'was_cancelled': False,
                           'project': 7, 'completed_by': 1}}


def setup(client, **params):
    return client.post('/setup', json={'project': '7.1795558552', 'schema': CONFIG, 'extra_params': params or None})


def predict(client, texts):
    tasks = [{'id': 1000 + i, 'data': {'text': text}} for i, text in enumerate(texts)]
    response = client.post('/predict', json={'tasks': tasks, 'project': '7.1795558552', 'label_config': CONFIG})
    assert response.status_code == 200, response.json
    return response.json['results']


@pytest.fixture
def trained(client, run_jobs, bbc):
    """Twelve annotated articles: every one fills ``desk``, the first eight also ``size``."""
    response = setup(client, strategy='margin')
    assert response.status_code == 200, response.json
    assert response.json['task_type'] == 'multi_control'
    assert response.json['ignored'] == ['<TextArea name="remarks">: no task type learns <TextArea>']
    for number, (text, desk) in enumerate(bbc[:12], start=1):
        body = created(number, text, desk=desk, size=size_of(text) if number <= 8 else None)
        assert client.post('/webhook', json=body).status_code == 200
    run_jobs()
    listed = client.get('/versions?project=7').json['projects']['7']
    return listed['current'], listed['details'][listed['current']]


def test_each_control_trains_on_what_fills_it_and_predictions_hold_every_control(client, trained, bbc):
    version, summary = trained
    assert version.startswith('v1-') and summary['status'] == 'published'
    assert summary['type'] == 'multi_control' and summary['num_train'] == 12
    notes = summary['per_control']
    assert notes['desk']['num_train'] == 12 and 'untrained' not in notes['desk']
    assert notes['size']['num_train'] == 8 and 'untrained' not in notes['size']
    assert [c['from_name'] for c in summary['controls']] == ['desk', 'size']

    texts = [text for text, _ in bbc[100:106]]
    results = predict(client, texts)
    predictor = VersionStore(os.environ['MODEL_DIR']).load('7', version)
    assert isinstance(predictor, ControlModels) and sorted(predictor.parts) == ['desk', 'size']
    margins = {name: score('margin', part.predict_proba(texts), np.random.default_rng(0))
               for name, part in predictor.parts.items()}
    for i, result in enumerate(results):
        assert result['model_version'] == version
        assert sorted(item['from_name'] for item in result['result']) == ['desk', 'size']
        assert all(item['to_name'] == 'article' and item['type'] == 'choices' for item in result['result'])
        assert result['score'] == pytest.approx(min(margins['desk'][i], margins['size'][i]), abs=1e-5)

    page = client.get('/status/7').get_data(as_text=True)
    assert 'Learned, one model each: &lt;Choices name=&#34;desk&#34;&gt; (text_classification, accuracy)' in page

    assert setup(client, strategy='margin', combine='mean').status_code == 200
    for i, result in enumerate(predict(client, texts)):
        assert result['score'] == pytest.approx((margins['desk'][i] + margins['size'][i]) / 2, abs=1e-5)


def test_a_control_without_enough_labels_has_no_model_yet(client, run_jobs, bbc):
    assert setup(client).status_code == 200
    for number, (text, desk) in enumerate(bbc[:4], start=1):
        assert client.post('/webhook', json=created(number, text, desk=desk)).status_code == 200
    run_jobs()
    listed = client.get('/versions?project=7').json['projects']['7']
    summary = listed['details'][listed['current']]
    assert 'training needs two classes' in summary['per_control']['size']['untrained']
    results = predict(client, [bbc[50][0]])
    assert [item['from_name'] for item in results[0]['result']] == ['desk']


def test_a_combine_rule_that_does_not_exist_is_refused(client):
    response = setup(client, combine='max')
    assert response.status_code == 400 and 'combine' in response.json['error'] and 'min, mean' in response.json['error']
