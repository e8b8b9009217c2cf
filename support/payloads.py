"""Request bodies shaped like the ones Label Studio 1.23 sends (see shared LABEL_STUDIO.md)."""
LABEL_CONFIG = '''<View>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text">
    <Choice value="business"/><Choice value="entertainment"/><Choice value="politics"/>
    <Choice value="sports"/><Choice value="tech"/>
  </Choices>
</View>'''

PROJECT = {'id': 1, 'title': 'News', 'label_config': LABEL_CONFIG, 'model_version': 'news-backend',
           'sampling': 'Sequential sampling'}


def setup(project='1.1795558552', schema=LABEL_CONFIG, extra_params=None):
    return {'project': project, 'schema': schema, 'hostname': 'http://127.0.0.1:8089',
            'access_token': 'abc', 'extra_params': extra_params}


def task(task_id, text):
    return {'id': task_id, 'data': {'text': text}, 'meta': {}, 'annotations': [], 'predictions': [],
            'project': 1}


def predict(tasks, project='1.1795558552'):
    return {'tasks': tasks, 'project': project, 'label_config': LABEL_CONFIG,
            'params': {'login': None, 'password': None, 'context': None}}


def annotation(annotation_id, task_id, choices, was_cancelled=False):
    result = [{'from_name': 'topic', 'to_name': 'text', 'type': 'choices', 'value': {'choices': choices}}]
    return {'id': annotation_id, 'result': result if choices else [], 'was_cancelled': was_cancelled,
            'task': task_id, 'project': 1, 'completed_by': 1}


def annotation_created(annotation_id, task_id, text, label, action='ANNOTATION_CREATED'):
    return {'action': action, 'annotation': annotation(annotation_id, task_id, [label] if label else []),
            'task': task(task_id, text), 'project': PROJECT}


def annotations_created(items):
    """Bulk import: ``items`` is a list of ``(annotation_id, task_id, text, label)``."""
    return {'action': 'ANNOTATIONS_CREATED',
            'annotation': [annotation(a, t, [label]) for a, t, _, label in items],
            'task': [task(t, text) for _, t, text, _ in items], 'project': PROJECT}


def annotations_deleted(ids):
    return {'action': 'ANNOTATIONS_DELETED', 'annotations': [{'id': i} for i in ids], 'project': PROJECT}


def start_training():
    return {'action': 'START_TRAINING', 'project': PROJECT}

SPAN_CONFIG = '''<View>
  <Labels name="entity" toName="post">
    <Label value="Person"/><Label value="Place"/><Label value="Organisation"/><Label value="Misc"/>
  </Labels>
  <Text name="post" value="$content"/>
</View>'''
"""A Labels config with a data field that is not ``text``; labels are WNUT-16 types renamed (:data:`SPAN_LABELS`)."""

SPAN_LABELS = {'person': 'Person', 'geo-loc': 'Place', 'company': 'Organisation', 'other': 'Misc'}
"""WNUT-16 type -> label of :data:`SPAN_CONFIG`; the other types are left out."""

SPAN_PROJECT = {'id': 2, 'title': 'Tweets', 'label_config': SPAN_CONFIG, 'model_version': 'tweets-backend'}


def span_task(task_id, text):
    return {'id': task_id, 'data': {'content': text}, 'meta': {}, 'annotations': [], 'predictions': [],
            'project': 2}


def span_annotation_created(annotation_id, task_id, text, spans):
    """``spans``: ``(start, end, label)`` in code points."""
    result = [{'from_name': 'entity', 'to_name': 'post', 'type': 'labels',
               'value': {'start': s, 'end': e, 'text': text[s:e], 'labels': [label]}} for s, e, label in spans]
    return _created(annotation_id, span_task(task_id, text), result, SPAN_PROJECT)


def _created(annotation_id, task, result, project):
    """An ANNOTATION_CREATED webhook of ``result`` on ``task``."""
    return {'action': 'ANNOTATION_CREATED',
            'annotation': {'id': annotation_id, 'result': result, 'was_cancelled': False, 'task': task['id'],
                           'project': project['id'], 'completed_by': 1},
            'task': task, 'project': project}


def span_predict(tasks, project='2.1795558552'):
    return {'tasks': tasks, 'project': project, 'label_config': SPAN_CONFIG,
            'params': {'login': None, 'password': None, 'context': None}}

IMAGE_CONFIG = '''<View>
  <Image name="scan" value="$picture"/>
  <Choices name="digit" toName="scan">
    <Choice value="0"/><Choice value="1"/><Choice value="7"/>
  </Choices>
</View>'''
"""An Image + Choices config with a data field that is not ``image``; three MNIST digits."""

IMAGE_PROJECT = {'id': 3, 'title': 'Digits', 'label_config': IMAGE_CONFIG, 'model_version': 'digits-backend'}


def image_task(task_id, url):
    return {'id': task_id, 'data': {'picture': url}, 'meta': {}, 'annotations': [], 'predictions': [], 'project': 3}


def image_annotation_created(annotation_id, task_id, url, label):
    result = [{'from_name': 'digit', 'to_name': 'scan', 'type': 'choices', 'value': {'choices': [label]}}]
    return _created(annotation_id, image_task(task_id, url), result, IMAGE_PROJECT)


def image_predict(tasks, project='3.1795558552'):
    return {'tasks': tasks, 'project': project, 'label_config': IMAGE_CONFIG,
            'params': {'login': None, 'password': None, 'context': None}}

BOX_CONFIG = '''<View>
  <Header value="Mark every digit"/>
  <Image name="photo" value="$snapshot" zoom="true"/>
  <RectangleLabels name="marks" toName="photo">
    <Label value="zero" background="red"/><Label value="one"/><Label value="two"/><Label value="three"/>
    <Label value="four"/><Label value="five"/><Label value="six"/><Label value="seven"/><Label value="eight"/>
    <Label value="nine"/>
  </RectangleLabels>
</View>'''
"""A RectangleLabels config unlike the template's: other names, data field ``snapshot``, digits spelled out
(:data:`BOX_LABELS`)."""

BOX_LABELS = dict(zip('0123456789', ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight',
                                     'nine')))
"""Digit of ``mnist_boxes`` -> label of :data:`BOX_CONFIG`."""

BOX_PROJECT = {'id': 4, 'title': 'Scenes', 'label_config': BOX_CONFIG, 'model_version': 'scenes-backend'}


def box_task(task_id, url):
    return {'id': task_id, 'data': {'snapshot': url}, 'meta': {}, 'annotations': [], 'predictions': [],
            'project': 4}


def box_region(x, y, width, height, label, rotation=0, original=(128, 128)):
    """A ``rectanglelabels`` result item of :data:`BOX_CONFIG`, in percent of the image."""
    return {'from_name': 'marks', 'to_name': 'photo', 'type': 'rectanglelabels', 'original_width': original[0],
            'original_height': original[1], 'image_rotation': 0,
            'value': {'x': x, 'y': y, 'width': width, 'height': height, 'rotation': rotation,
                      'rectanglelabels': [label]}}


def box_annotation_created(annotation_id, task_id, url, regions):
    return _created(annotation_id, box_task(task_id, url), regions, BOX_PROJECT)


def box_predict(tasks, project='4.1795558552'):
    return {'tasks': tasks, 'project': project, 'label_config': BOX_CONFIG,
            'params': {'login': None, 'password': None, 'context': None}}
