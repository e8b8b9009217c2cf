"""How a <Labels> annotation becomes a training example, and what is refused."""
import pytest

from model.spans.task_type import resolve_overlaps
from model.task_types import AnnotationRejected, Reader, parse_label_config

CONFIG = parse_label_config('<View><Labels name="ent" toName="tweet"><Label value="Person"/>'
                            '<Label value="Place"/></Labels><Text name="tweet" value="$content"/></View>')
TEXT = 'Ann 😀 met Bob in Paris'
TASK = {'id': 7, 'data': {'content': TEXT}}


def region(start, end, label='Person', text=None):
    value = {'start': start, 'end': end, 'labels': [label]}
    if text is not False:
        value['text'] = TEXT[start:end] if text is None else text
    return {'from_name': 'ent', 'to_name': 'tweet', 'type': 'labels', 'value': value}


def example(*regions, cancelled=False):
    return CONFIG.example_from({'id': 3, 'result': list(regions), 'was_cancelled': cancelled}, TASK, Reader())


def test_offsets_are_code_points_so_an_emoji_counts_one():
    # Label Studio 1.23 stores code points: 'Bob' starts at 10, not at the browser's UTF-16 11.
    assert TEXT[10:13] == 'Bob'
    found = example(region(10, 13), region(17, 22, 'Place'))
    assert found == {'task': 7, 'text': TEXT, 'spans': [[10, 13, 'Person'], [17, 22, 'Place']], 'dropped': 0}


def test_whitespace_at_the_edges_is_trimmed_and_a_blank_span_dropped():
    # 'Bob' with the spaces around it, and the space between 'met' and 'Bob' alone.
    found = example(region(9, 14), region(13, 14, 'Place'))
    assert found['spans'] == [[10, 13, 'Person']] and found['dropped'] == 1


def test_a_result_that_is_not_a_list_is_refused():
    with pytest.raises(AnnotationRejected, match='result must be a list'):
        CONFIG.example_from({'id': 3, 'result': {'from_name': 'ent'}}, TASK, Reader())


def test_no_spans_is_a_text_without_entities_and_cancelled_is_nothing():
    assert example()['spans'] == []
    assert example(region(10, 13), cancelled=True) is None


def test_overlapping_spans_keep_the_longest_then_the_earliest():
    assert resolve_overlaps([(0, 3, 'A'), (0, 9, 'B'), (4, 9, 'C'), (10, 12, 'D'), (11, 13, 'E')]) == (
        [(0, 9, 'B'), (10, 12, 'D')], 3)
    assert example(region(10, 13), region(10, 22, 'Place'))['dropped'] == 1


@pytest.mark.parametrize('bad, message', [
    (region(10, 13, 'Animal'), r"unknown label\(s\) \['Animal'\]; <Labels name=\"ent\"> has \['Person', 'Place'\]"),
    (region(13, 10, text=False), r'span \(13, 10\) is empty or outside the text'),
    (region(20, 40, text=False), r'span \(20, 40\) is empty or outside the text \(data.content has 22'),
    (region(11, 14, text='Bob'), r"value.text 'Bob' is not the text at \(11, 14\): 'ob '"),
    ({'from_name': 'ent', 'value': {'start': '1', 'end': 3, 'labels': ['Person']}}, 'must be integers'),
    ({'from_name': 'ent', 'value': {'start': 1, 'end': 3, 'labels': 'Person'}}, 'non-empty list'),
])
def test_bad_spans_are_refused_naming_the_problem(bad, message):
    with pytest.raises(AnnotationRejected, match=message):
        example(region(0, 3), bad)


def test_a_text_over_the_limit_is_refused_not_cut():
    with pytest.raises(AnnotationRejected, match='has 22 characters; MAX_TEXT_CHARS is 10'):
        CONFIG.example_from({'id': 3, 'result': []}, TASK, Reader(max_chars=10))
    assert CONFIG.skip_reason(TEXT, Reader(max_chars=10)) == 'data.content has 22 characters; MAX_TEXT_CHARS is 10'
    assert CONFIG.skip_reason('  ', Reader(max_chars=10)) == 'data.content is empty'


def test_an_empty_text_teaches_nothing_and_is_refused():
    empty = {'id': 8, 'data': {'content': ' '}}
    with pytest.raises(AnnotationRejected, match='task 8: data.content is empty'):
        CONFIG.example_from({'id': 4, 'result': []}, empty, Reader())
