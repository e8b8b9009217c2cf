import pytest

from model.label_config import MAX_CONFIG_CHARS, MAX_LABELS
from model.task_types import (
    AnnotationRejected,
    ChatClassification,
    DialogueClassification,
    ImageClassification,
    LabelConfigError,
    ObjectDetection,
    SpanLabeling,
    TextClassification,
    parse_label_config,
)

SINGLE = '''<View><Header value="Topic"/><Text name="body" value="$article"/>
<Choices name="topic" toName="body"><Choice value="a"/><Choice value="b" alias="B"/></Choices></View>'''

SPANS = '''<View><Header value="Mark the entities"/><View style="x">
<Labels name="ent" toName="tweet"><Label value="Person"/><Label value="Place"/></Labels>
<Text name="tweet" value="$content"/></View></View>'''


def test_reads_control_target_field_and_labels():
    config = parse_label_config(SINGLE)
    assert isinstance(config, TextClassification)
    assert (config.from_name, config.to_name, config.field) == ('topic', 'body', 'article')
    assert config.labels == ('a', 'B')
    assert config.multi_label is False


def test_choice_multiple_is_multi_label():
    config = parse_label_config(SINGLE.replace('toName="body"', 'toName="body" choice="multiple"'))
    assert config.multi_label is True


def test_labels_over_text_anywhere_in_the_view_is_span_labeling():
    config = parse_label_config(SPANS)
    assert isinstance(config, SpanLabeling)
    assert (config.from_name, config.to_name, config.field, config.labels) == (
        'ent', 'tweet', 'content', ('Person', 'Place'))
    assert config.to_dict() == {'type': 'spans', 'from_name': 'ent', 'to_name': 'tweet', 'field': 'content',
                                'labels': ['Person', 'Place'], 'ignored': []}


def test_choices_over_an_image_is_image_classification_and_a_text_beside_it_is_shown_only():
    config = parse_label_config('<View><Text name="caption" value="$caption"/><Image name="photo" value="$url"/>'
                                '<Choices name="kind" toName="photo" choice="multiple"><Choice value="cat"/>'
                                '<Choice value="dog"/></Choices></View>')
    assert isinstance(config, ImageClassification)
    assert config.to_dict() == {'type': 'image_classification', 'from_name': 'kind', 'to_name': 'photo',
                                'field': 'url', 'labels': ['cat', 'dog'], 'multi_label': True,
                                'ignored': ['<Text name="caption">: no served control labels it']}


def test_rectangle_labels_over_an_image_is_object_detection_with_its_options():
    config = parse_label_config('<View><Header value="Boxes"/><Image name="shot" value="$frame"/>'
                                '<RectangleLabels name="things" toName="shot"><Label value="car"/>'
                                '<Label value="bus"/></RectangleLabels></View>')
    assert isinstance(config, ObjectDetection)
    assert config.to_dict() == {'type': 'object_detection', 'from_name': 'things', 'to_name': 'shot', 'field': 'frame',
                                'labels': ['car', 'bus'], 'box_threshold': 0.5, 'max_boxes': 100, 'ignored': []}
    tuned = config.configured({'box_threshold': 0.2, 'max_boxes': 3, 'strategy': 'margin'})
    assert (tuned.box_threshold, tuned.max_boxes, tuned.labels) == (0.2, 3, config.labels)


def test_rectangle_labels_that_say_they_are_not_per_region_are_served():
    config = parse_label_config('<View><Image name="shot" value="$frame"/><RectangleLabels name="things" '
                                'toName="shot" perRegion="false"><Label value="car"/></RectangleLabels></View>')
    assert isinstance(config, ObjectDetection) and config.labels == ('car',)


def test_choices_of_reads_this_control_only():
    config = parse_label_config(SINGLE)
    result = [{'from_name': 'other', 'type': 'choices', 'value': {'choices': ['x']}},
              {'from_name': 'topic', 'type': 'choices', 'value': {'choices': ['a']}}]
    assert config.choices_of(result) == ['a']
    assert config.choices_of([]) is None
    assert config.result(['a']) == [{'from_name': 'topic', 'to_name': 'body', 'type': 'choices',
                                     'value': {'choices': ['a']}}]


@pytest.mark.parametrize('xml, message', [
    ('', 'empty'),
    ('<View><Text', 'not valid XML'),
    ('<View><Image name="i" value="$img"/><PolygonLabels name="r" toName="i"><Label value="a"/>'
     '</PolygonLabels></View>', r'nothing this backend learns .*<PolygonLabels name="r">: no task type learns '
                                r'<PolygonLabels>$'),
    ('<View><Image name="i" valueList="$imgs"/><Choices name="c" toName="i"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', r'<Image name="i"> must show one image .*valueList'),
    ('<View><Image name="i" value="$img"/><Labels name="l" toName="i"><Label value="a"/></Labels></View>',
     r'<Labels name="l">: no task type learns <Labels> over <Image>'),
    ('<View><HyperText name="t" value="$t"/><Labels name="l" toName="t"><Label value="PER"/></Labels></View>',
     r'no task type learns <Labels> over <HyperText>'),
    ('<View><HyperText name="h" value="$html"/><HyperTextLabels name="l" toName="h"><Label value="PER"/>'
     '</HyperTextLabels></View>', r'<HyperTextLabels name="l">: no task type learns <HyperTextLabels>: Label '
                                  r'Studio stores its regions as XPath ranges'),
    ('<View><Text name="t" value="$t"/></View>', 'nothing this backend learns .*: no control tag'),
    ('<View><Text name="t" value="$t"/><TextArea name="notes" toName="t"/></View>',
     r'<TextArea name="notes">: no task type learns <TextArea>'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/><Choice value="b"/>'
     '</Choices></View>', '<Choices name="c"> points toName="x", and no object is named \'x\''),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/><Choice value="b"/>'
     '</Choices><TextArea name="c" toName="t"/></View>', "two or more controls are named 'c'"),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t" perRegion="true"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', r'<Choices name="c">: labels regions \(perRegion\)'),
    ('<View><Text name="t" value="$t" valueType="url"/><Choices name="c" toName="t"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', 'inline'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices></View>',
     'at least 2'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="nothing"><Label value="PER"/></Labels></View>',
     r'<Labels name="l"> points toName="nothing"'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="t"></Labels></View>', 'at least 1'),
    ('<View>' + ' ' * MAX_CONFIG_CHARS + '</View>', f'the limit is {MAX_CONFIG_CHARS}'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="t">'
     + ''.join(f'<Label value="L{i}"/>' for i in range(MAX_LABELS + 1)) + '</Labels></View>',
     f'{MAX_LABELS + 1} labels; the limit is {MAX_LABELS}'),
])
def test_unsupported_configs_are_named(xml, message):
    with pytest.raises(LabelConfigError, match=message):
        parse_label_config(xml)


def test_what_is_not_learned_is_ignored_with_its_reason_and_the_first_served_control_serves():
    config = parse_label_config(
        '<View><Header value="$title"/><Text name="question" value="$q"/><Text name="context" value="$c"/>'
        '<Labels name="answer" toName="context"><Label value="Answer"/></Labels>'
        '<Choices name="ok" toName="question"><Choice value="yes"/><Choice value="no"/></Choices>'
        '<Choices name="why" toName="question" visibleWhen="choice-selected" whenTagName="ok"><Choice value="a"/>'
        '<Choice value="b"/></Choices><Rating name="stars" toName="context"/>'
        '<TextArea name="notes" toName="context" perRegion="true"/></View>')
    assert isinstance(config, SpanLabeling) and (config.from_name, config.field) == ('answer', 'c')
    assert config.ignored == (
        '<Choices name="ok">: labels <Text name="question">; the controls served label one object, '
        '<Text name="context">',
        '<Choices name="why">: shown only when another control has a value (visibleWhen / whenTagName)',
        '<Rating name="stars">: no task type learns <Rating>',
        '<TextArea name="notes">: labels regions (perRegion), not the task',
        '<Text name="question">: no served control labels it')
    bare = parse_label_config('<View><Text name="context" value="$c"/><Labels name="answer" toName="context">'
                              '<Label value="Answer"/></Labels></View>')
    assert bare == config and bare.ignored == (), 'what is ignored is not part of the type'


def test_a_label_given_twice_is_one_label():
    config = parse_label_config('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="One"/>'
                                '<Choice value="Two"/><Choice value="Two"/></Choices></View>')
    assert config.labels == ('One', 'Two')


class Reader:
    max_chars = 60


def test_choices_over_a_dialogue_read_its_utterances_as_speaker_lines():
    config = parse_label_config('<View><Paragraphs name="talk" value="$dialogue" nameKey="who" textKey="said"/>'
                                '<Choices name="intent" toName="talk"><Choice value="buy"/><Choice value="ask"/>'
                                '</Choices></View>')
    assert isinstance(config, DialogueClassification) and config.NAME == 'text_classification'
    assert (config.field, config.name_key, config.text_key) == ('dialogue', 'who', 'said')
    task = {'id': 3, 'data': {'dialogue': [{'who': 'Ann', 'said': 'Hello'}, {'said': 'no speaker'},
                                           {'who': 'Bob', 'said': 'I would like to buy a very long thing'}]}}
    assert config.input_of(task, Reader()) == 'Ann: Hello\nno speaker\nBob: I would like to buy a very long t'
    with pytest.raises(AnnotationRejected, match=r'task 4: data.dialogue is missing or not a list of utterances'):
        config.input_of({'id': 4, 'data': {'dialogue': 'just text'}}, Reader())


def test_choices_over_a_chat_read_its_messages_by_role():
    config = parse_label_config('<View><Chat name="c" value="$chat"/><Choices name="ok" toName="c">'
                                '<Choice value="yes"/><Choice value="no"/></Choices></View>')
    assert isinstance(config, ChatClassification)
    task = {'id': 1, 'data': {'chat': [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Yes?'}]}}
    assert config.input_of(task, Reader()) == 'user: Hi\nassistant: Yes?'
