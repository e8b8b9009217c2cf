import pytest

from model.label_config import MAX_CONFIG_CHARS, MAX_LABELS
from model.task_types import (
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
                                'labels': ['Person', 'Place']}


def test_choices_over_an_image_is_image_classification_and_a_text_beside_it_is_shown_only():
    config = parse_label_config('<View><Text name="caption" value="$caption"/><Image name="photo" value="$url"/>'
                                '<Choices name="kind" toName="photo" choice="multiple"><Choice value="cat"/>'
                                '<Choice value="dog"/></Choices></View>')
    assert isinstance(config, ImageClassification)
    assert config.to_dict() == {'type': 'image_classification', 'from_name': 'kind', 'to_name': 'photo',
                                'field': 'url', 'labels': ['cat', 'dog'], 'multi_label': True}


def test_rectangle_labels_over_an_image_is_object_detection_with_its_options():
    config = parse_label_config('<View><Header value="Boxes"/><Image name="shot" value="$frame"/>'
                                '<RectangleLabels name="things" toName="shot"><Label value="car"/>'
                                '<Label value="bus"/></RectangleLabels></View>')
    assert isinstance(config, ObjectDetection)
    assert config.to_dict() == {'type': 'object_detection', 'from_name': 'things', 'to_name': 'shot', 'field': 'frame',
                                'labels': ['car', 'bus'], 'box_threshold': 0.5, 'max_boxes': 100}
    tuned = config.configured({'box_threshold': 0.2, 'max_boxes': 3, 'strategy': 'margin'})
    assert (tuned.box_threshold, tuned.max_boxes, tuned.labels) == (0.2, 3, config.labels)


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
     '</PolygonLabels></View>', r'unsupported tag\(s\) PolygonLabels'),
    ('<View><Image name="i" valueList="$imgs"/><Choices name="c" toName="i"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', r'<Image name="i"> must show one image .*valueList'),
    ('<View><Image name="i" value="$img"/><Labels name="l" toName="i"><Label value="a"/></Labels></View>',
     r'<Labels> needs exactly one <Text>, found 0'),
    ('<View><HyperText name="t" value="$t"/><Labels name="l" toName="t"><Label value="PER"/></Labels></View>',
     r'unsupported tag\(s\) HyperText'),
    ('<View><Text name="t" value="$t"/></View>', 'exactly one control tag .* found none'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/><Choice value="b"/>'
     '</Choices><Labels name="l" toName="t"><Label value="PER"/></Labels></View>',
     r'found <Choices name="c">, <Labels name="l">'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/><Choice value="b"/>'
     '</Choices></View>', 'must point toName a <Text>'),
    ('<View><Text name="t" value="$t" valueType="url"/><Choices name="c" toName="t"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', 'inline'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices></View>',
     'at least 2'),
    ('<View><Text name="t" value="$t"/><Text name="u" value="$u"/><Labels name="l" toName="t">'
     '<Label value="PER"/></Labels></View>', r'<Labels> needs exactly one <Text>, found 2'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="nothing"><Label value="PER"/></Labels></View>',
     r'<Labels name="l"> must point toName a <Text> \(found toName="nothing"\)'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="t"></Labels></View>', 'at least 1'),
    ('<View>' + ' ' * MAX_CONFIG_CHARS + '</View>', f'the limit is {MAX_CONFIG_CHARS}'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="t">'
     + ''.join(f'<Label value="L{i}"/>' for i in range(MAX_LABELS + 1)) + '</Labels></View>',
     f'{MAX_LABELS + 1} labels; the limit is {MAX_LABELS}'),
])
def test_unsupported_configs_are_named(xml, message):
    with pytest.raises(LabelConfigError, match=message):
        parse_label_config(xml)
