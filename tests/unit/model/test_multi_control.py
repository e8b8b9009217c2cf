"""Configs with several served controls, and the publish gate per control, on hand-built metrics."""
import math

import pytest

from model import ModelCard
from model.multi_control import ControlModels, MultiControl
from model.task_types import (
    ImageClassification,
    ObjectDetection,
    Reader,
    SpanLabeling,
    TextClassification,
    parse_label_config,
)

TWO_CHOICES = ('<View><Text name="t" value="$text"/>'
               '<Choices name="tone" toName="t"><Choice value="pos"/><Choice value="neg"/></Choices>'
               '<Choices name="topic" toName="t"><Choice value="a"/><Choice value="b"/><Choice value="c"/></Choices>'
               '<TextArea name="notes" toName="t"/></View>')


def test_two_choices_over_one_text_are_both_served():
    config = parse_label_config(TWO_CHOICES)
    assert isinstance(config, MultiControl)
    assert [(type(p), p.from_name, p.labels) for p in config.parts] == [
        (TextClassification, 'tone', ('pos', 'neg')), (TextClassification, 'topic', ('a', 'b', 'c'))]
    assert config.ignored == ('<TextArea name="notes">: no task type learns <TextArea>',)
    assert config.DEFAULT_STRATEGY == 'margin' and 'coreset' not in config.STRATEGIES


def test_labels_with_choices_and_boxes_with_choices():
    spans = parse_label_config('<View><Text name="t" value="$text"/><Labels name="ner" toName="t">'
                               '<Label value="PER"/></Labels><Choices name="ok" toName="t"><Choice value="y"/>'
                               '<Choice value="n"/></Choices></View>')
    assert [type(p) for p in spans.parts] == [SpanLabeling, TextClassification]
    assert spans.DEFAULT_STRATEGY == 'margin', "the spans' default, which the Choices also score with"
    boxes = parse_label_config('<View><Image name="i" value="$image"/><Choices name="kind" toName="i">'
                               '<Choice value="x"/><Choice value="y"/></Choices><RectangleLabels name="box" '
                               'toName="i"><Label value="cell"/></RectangleLabels></View>')
    assert [type(p) for p in boxes.parts] == [ImageClassification, ObjectDetection]
    assert boxes.pretrained_model(lambda setting: setting) == {'kind': 'image_model', 'box': 'detection_model'}


def test_a_control_over_another_object_is_ignored_with_the_object_served():
    config = parse_label_config('<View><Text name="q" value="$q"/><Text name="c" value="$c"/>'
                                '<Choices name="one" toName="c"><Choice value="y"/><Choice value="n"/></Choices>'
                                '<Choices name="two" toName="q"><Choice value="y"/><Choice value="n"/></Choices>'
                                '</View>')
    assert isinstance(config, TextClassification) and config.from_name == 'one'
    assert config.ignored == ('<Choices name="two">: labels <Text name="q">; the controls served label one object, '
                              '<Text name="c">', '<Text name="q">: no served control labels it')


def test_options_reach_every_control_and_the_combine_rule():
    config = parse_label_config('<View><Image name="i" value="$image"/><RectangleLabels name="a" toName="i">'
                                '<Label value="x"/></RectangleLabels><RectangleLabels name="b" toName="i">'
                                '<Label value="y"/></RectangleLabels></View>')
    configured = config.configured({'box_threshold': 0.3, 'combine': 'mean', 'strategy': 'margin'})
    assert [p.box_threshold for p in configured.parts] == [0.3, 0.3] and configured.combine == 'mean'
    with pytest.raises(ValueError, match='min, mean'):
        MultiControl.OPTIONS['combine']('max')


class Model:
    """Stands in for one control's loaded model: only its card matters to the gate."""

    def __init__(self, labels):
        self.card = ModelCard(labels=labels, multi_label=False, max_length=64, base_model='m')


def margin(num_held_out):
    return max(0.01, 1 / math.sqrt(num_held_out))


def test_a_worse_control_keeps_the_serving_model_and_a_better_one_is_published():
    config = parse_label_config(TWO_CHOICES)
    serving = ControlModels({'tone': Model(('pos', 'neg')), 'topic': Model(('a', 'b', 'c'))})
    candidate = ControlModels({'tone': Model(('pos', 'neg')), 'topic': Model(('a', 'b', 'c'))})
    new = {'evaluated': True, 'per_control': {'tone': {'num_held_out': 100, 'accuracy': 0.70},
                                              'topic': {'num_held_out': 100, 'accuracy': 0.90}}}
    old = {'per_control': {'tone': {'num_held_out': 100, 'accuracy': 0.85},
                           'topic': {'num_held_out': 100, 'accuracy': 0.80}}}
    merged, metrics, kept = config.merged(candidate, serving, new, old, margin)
    assert merged.parts['tone'] is serving.parts['tone'], '0.70 < 0.85 - 0.1: the serving tone model stays'
    assert merged.parts['topic'] is candidate.parts['topic']
    assert list(kept) == ['tone'] and '0.7000 is below the serving 0.8500 by more than 0.1000' in kept['tone']
    assert metrics['per_control']['tone'] == old['per_control']['tone']
    assert metrics['mean_metric'] == pytest.approx((0.85 + 0.90) / 2)
    assert metrics['evaluated'] is True


def test_a_control_within_chance_of_the_serving_one_is_published():
    config = parse_label_config(TWO_CHOICES)
    serving = ControlModels({'tone': Model(('pos', 'neg'))})
    candidate = ControlModels({'tone': Model(('pos', 'neg')), 'topic': Model(('a', 'b', 'c'))})
    new = {'per_control': {'tone': {'num_held_out': 16, 'accuracy': 0.60},
                           'topic': {'num_held_out': 16, 'accuracy': 0.5}}}
    old = {'per_control': {'tone': {'num_held_out': 16, 'accuracy': 0.80}}}
    merged, metrics, kept = config.merged(candidate, serving, new, old, margin)
    assert kept == {} and merged.parts == candidate.parts, '0.60 >= 0.80 - 1/sqrt(16)'
    assert metrics['mean_metric'] == pytest.approx(0.60), 'the mean over the controls the serving version has'


def test_a_control_without_a_new_model_keeps_the_serving_one_and_one_retyped_is_not_served():
    config = parse_label_config(TWO_CHOICES)
    serving = ControlModels({'tone': Model(('pos', 'neg')), 'topic': Model(('a', 'b', 'c'))})
    candidate = ControlModels({'tone': Model(('pos', 'neg'))})
    old = {'per_control': {'tone': {'num_held_out': 16, 'accuracy': 0.8},
                           'topic': {'num_held_out': 16, 'accuracy': 0.7}}}
    new = {'per_control': {'tone': {'num_held_out': 16, 'accuracy': 0.9}}}
    assert config.comparable(serving, candidate)
    merged, metrics, kept = config.merged(candidate, serving, new, old, margin)
    assert merged.parts['topic'] is serving.parts['topic'] and list(kept) == ['topic']
    assert metrics['per_control']['topic'] == old['per_control']['topic']
    assert metrics['mean_metric'] == pytest.approx(0.8)
    relabeled = ControlModels({'tone': Model(('pos', 'neutral'))})
    assert not config.comparable(relabeled, candidate), 'a model of labels the config no longer has serves nothing'


def test_an_annotation_gives_examples_of_the_controls_it_fills():
    config = parse_label_config(TWO_CHOICES)
    example = config.example_from({'id': 3, 'result': [
        {'from_name': 'topic', 'to_name': 't', 'type': 'choices', 'value': {'choices': ['b']}},
        {'from_name': 'notes', 'to_name': 't', 'type': 'textarea', 'value': {'text': ['fine']}}]},
        {'id': 9, 'data': {'text': 'hello'}}, Reader())
    assert example == {'task': 9, 'controls': {'topic': {'task': 9, 'text': 'hello', 'choices': ['b']}}}
    assert config.holds(example) and not config.holds({'task': 9, 'text': 'hello', 'choices': ['b']})
    assert config.example_from({'id': 4, 'result': []}, {'id': 9, 'data': {'text': 'x'}}, Reader()) is None


def test_examples_stored_while_the_first_control_was_served_alone_still_train_it():
    config = parse_label_config(TWO_CHOICES)
    alone = {'task': 5, 'text': 'hello', 'choices': ['neg'], 'annotation': 8}
    assert config.holds(alone) and not config.holds({**alone, 'choices': ['other']})
    [loaded], unreadable = config.loaded([alone], Reader())
    assert loaded['controls'] == {'tone': alone} and unreadable == []
    assert config.training_notes([loaded])['per_control']['tone']['num_train'] == 1
