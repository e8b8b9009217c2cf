"""Label Studio's own template gallery as the yardstick of the configs served: each verdict as docs/gallery.md
records it."""
from pathlib import Path

import numpy as np
import pytest

from model.acquisition import Acquisition
from model.task_types import WEIGHT_SETTINGS, Reader, parse_label_config
from support.gallery import table, templates, verdict

GALLERY = Path(__file__).resolve().parents[2] / 'docs' / 'gallery.md'

MIN_SERVED = 20
"""Templates served or partly served (6 before configs could hold tags no task type learns, and dialogues)."""


def test_every_template_gets_the_verdict_docs_gallery_records():
    assert table() == GALLERY.read_text(encoding='utf-8'), (
        'a verdict changed: check it, then regenerate with `python -m support.gallery > docs/gallery.md`')


def test_most_templates_with_a_control_a_task_type_learns_are_served():
    verdicts = [verdict(config)[0] for _, _, config in templates()]
    assert len(verdicts) == 69
    assert sum(v != 'refused' for v in verdicts) >= MIN_SERVED


def task_data(task_type, number, text, image):
    """What a task of ``task_type`` shows in its field: a text, a dialogue, a chat or an image's path."""
    first = task_type.served_controls[0]
    if first.OBJECT == 'Image':
        return image
    if first.OBJECT == 'Paragraphs':
        return [{first.name_key: 'customer', first.text_key: text}, {first.name_key: 'agent', first.text_key: 'ok'}]
    if first.OBJECT == 'Chat':
        return [{first.name_key: 'user', first.text_key: text}, {first.name_key: 'assistant', first.text_key: 'ok'}]
    return text


def result_of(control, number, text):
    """A hand-made result item of one served control for task ``number``: its labels in turn."""
    label = control.labels[number % len(control.labels)]
    common = {'from_name': control.from_name, 'to_name': control.to_name}
    if control.CONTROL == 'Choices':
        return {**common, 'type': 'choices', 'value': {'choices': [label]}}
    if control.CONTROL == 'Labels':
        end = text.index(' ')
        return {**common, 'type': 'labels', 'value': {'start': 0, 'end': end, 'text': text[:end], 'labels': [label]}}
    return {**common, 'type': 'rectanglelabels', 'original_width': 28, 'original_height': 28,
            'value': {'x': 10, 'y': 10, 'width': 60, 'height': 70, 'rotation': 0, 'rectanglelabels': [label]}}


RESULT_TYPES = {'Choices': 'choices', 'Labels': 'labels', 'RectangleLabels': 'rectanglelabels'}


SERVED = {folder: config for folder, _, config in templates() if verdict(config)[0] != 'refused'}


@pytest.mark.parametrize('folder', SERVED)
def test_a_served_template_cold_starts_trains_and_predicts_every_control(folder, bbc, digits, tiny_encoder):
    task_type = parse_label_config(SERVED[folder]).configured({'box_threshold': 0.01, 'max_boxes': 2})
    reader = Reader(image_size=32)
    texts = [text for text, _ in bbc[:8]]
    tasks = [{'id': n, 'data': {task_type.field: task_data(task_type, n, texts[n], digits[n][0])}} for n in range(8)]
    annotations = [{'id': n, 'result': [result_of(c, n, texts[n]) for c in task_type.served_controls]}
                   for n in range(8)]
    examples = [task_type.example_of(a, t, reader) for a, t in zip(annotations, tasks)]
    loaded, unreadable = task_type.loaded(examples, reader)
    assert len(loaded) == 8 and not unreadable and task_type.untrainable(loaded) is None
    base = task_type.pretrained_model(lambda setting: tiny_encoder if setting == 'base_model'
                                      else WEIGHT_SETTINGS[setting]())
    # One step per example: what is checked is the shape of what comes out, not its quality.
    training = task_type.training_config(epochs=1, max_length=32, image_size=32, few_labels_min_steps=1)

    inputs, reasons = task_type.read(tasks, reader)
    assert reasons == [None] * 8
    embeddings = task_type.pretrained_embedder(base, training)(inputs)
    assert embeddings.shape[0] == 8, 'the cold start embeds every task'

    predictor = task_type.fine_tune(base, loaded, training)
    results, scores, _ = task_type.predict(predictor, inputs, Acquisition('margin'), np.random.default_rng(0))
    assert len(results) == 8 and all(0.0 <= s <= 1.0 for s in scores)
    for control in task_type.served_controls:
        items = [item for result in results for item in result if item['from_name'] == control.from_name]
        assert all(item['to_name'] == control.to_name and item['type'] == RESULT_TYPES[control.CONTROL]
                   and set(item['value'][item['type']]) <= set(control.labels) for item in items), items[:2]
        if control.CONTROL != 'Labels':  # a tagger trained on eight texts may rightly find no entity
            assert len(items) >= 8, f'{control.from_name}: a pre-annotation for every task'
