"""Choices over a dialogue (<Paragraphs>): annotations train a text classifier on the utterances as lines,
and /predict labels dialogues."""
from support import payloads

CONFIG = '''<View><Paragraphs name="text" value="$dialogue" layout="dialogue" nameKey="speaker" textKey="line"/>
<Choices name="topic" toName="text"><Choice value="sports"/><Choice value="business"/></Choices>
<TextArea name="summary" toName="text"/></View>'''

DIALOGUES = {
    'sports': [[('fan', 'Did you see the match last night?'), ('coach', 'The team scored twice in extra time.')],
               [('host', 'The runner broke the record.'), ('guest', 'Her coach says she can go faster.')]],
    'business': [[('analyst', 'Shares fell after the earnings call.'), ('ceo', 'Revenue grew but costs rose.')],
                 [('banker', 'The merger closes next quarter.'), ('client', 'What about the share price?')]],
}


def task(task_id, lines):
    return {'id': task_id, 'data': {'dialogue': [{'speaker': who, 'line': said} for who, said in lines]}}


def test_dialogue_annotations_train_and_predict_choices(client, run_jobs):
    project = {**payloads.PROJECT, 'label_config': CONFIG}
    setup = client.post('/setup', json=payloads.setup(schema=CONFIG))
    assert setup.status_code == 200 and setup.json['ignored'] == ['<TextArea name="summary">: no task type learns '
                                                                  '<TextArea>']
    examples = [(label, lines) for label, dialogues in DIALOGUES.items() for lines in dialogues]
    for number, (label, lines) in enumerate(examples, start=1):
        body = {'action': 'ANNOTATION_CREATED', 'annotation': payloads.annotation(number, number, [label]),
                'task': task(number, lines), 'project': project}
        assert client.post('/webhook', json=body).json['stored'] == 1
    run_jobs()
    version = client.get('/versions?project=1').json['projects']['1']['current']
    assert version and version.startswith('v1-')
    body = {**payloads.predict([task(10, DIALOGUES['sports'][0]), task(11, DIALOGUES['business'][1])]),
            'label_config': CONFIG}
    response = client.post('/predict', json=body)
    assert response.status_code == 200 and response.json['model_version'] == version
    for result in response.json['results']:
        (item,) = result['result']
        assert (item['from_name'], item['to_name'], item['type']) == ('topic', 'text', 'choices')
        assert item['value']['choices'][0] in DIALOGUES
    bad = {**body, 'tasks': [{'id': 12, 'data': {'dialogue': 'not a list'}}]}
    assert 'not a list of utterances' in client.post('/predict', json=bad).json['error']
