import pytest

from backend.label_config import LabelConfigError, parse_label_config

SINGLE = '''<View><Header value="Topic"/><Text name="body" value="$article"/>
<Choices name="topic" toName="body"><Choice value="a"/><Choice value="b" alias="B"/></Choices></View>'''


def test_reads_control_target_field_and_labels():
    config = parse_label_config(SINGLE)
    assert (config.from_name, config.to_name, config.field) == ('topic', 'body', 'article')
    assert config.labels == ('a', 'B')
    assert config.multi_label is False


def test_choice_multiple_is_multi_label():
    config = parse_label_config(SINGLE.replace('toName="body"', 'toName="body" choice="multiple"'))
    assert config.multi_label is True


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
    ('<View><Image name="i" value="$img"/><Choices name="c" toName="i"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', r'unsupported tag\(s\) Image'),
    ('<View><Text name="t" value="$t"/><Labels name="l" toName="t"><Label value="PER"/></Labels></View>',
     r'unsupported tag\(s\) Labels'),
    ('<View><Text name="t" value="$t"/></View>', 'exactly one <Choices>, found 0'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="x"><Choice value="a"/><Choice value="b"/>'
     '</Choices></View>', 'must point toName a <Text>'),
    ('<View><Text name="t" value="$t" valueType="url"/><Choices name="c" toName="t"><Choice value="a"/>'
     '<Choice value="b"/></Choices></View>', 'inline'),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices></View>',
     'at least two'),
])
def test_unsupported_configs_are_named(xml, message):
    with pytest.raises(LabelConfigError, match=message):
        parse_label_config(xml)
