import json

import pytest

from simulation.datasets import (
    SPAN_DATASETS,
    DatasetError,
    export_has_spans,
    from_conll,
    spans_from_label_studio_export,
    wnut16,
)


def test_conll_spans_cover_the_entity_words(tmp_path):
    path = tmp_path / 'train.conll'
    path.write_text(
        '-DOCSTART- -X- -X- O\n'
        '\n'
        'Barack\tB-PER\nObama\tI-PER\nvisited\tO\nNew\tB-LOC\nYork\tI-LOC\nCity\tI-LOC\n.\tO\n'
        '\n'
        'Nothing O\nhere O\n'
        '\t\n'
        'Acme I-ORG\nCorp I-ORG\nhired O\nJane I-PER\nDoe I-PER\nBob I-ORG\n'
    )
    texts, spans, labels = from_conll(path)
    assert texts == ['Barack Obama visited New York City .', 'Nothing here', 'Acme Corp hired Jane Doe Bob']
    assert [[(texts[i][start:end], label) for start, end, label in found] for i, found in enumerate(spans)] == [
        [('Barack Obama', 'PER'), ('New York City', 'LOC')],
        [],
        [('Acme Corp', 'ORG'), ('Jane Doe', 'PER'), ('Bob', 'ORG')],
    ]
    assert spans[0] == [(0, 12, 'PER'), (21, 34, 'LOC')]
    assert labels == ['LOC', 'ORG', 'PER']


@pytest.mark.parametrize(('line', 'message'), [
    ('Obama', r'line 3: expected "token tag", got \'Obama\''),
    ('New York B-LOC', r'line 3: expected "token tag", got \'New York B-LOC\''),
    ('Obama PER', r"line 3: tag 'PER' is not O, B-<type> or I-<type>"),
    ('Obama B-', r"line 3: tag 'B-' is not O, B-<type> or I-<type>"),
])
def test_conll_bad_lines_name_the_file_and_line(tmp_path, line, message):
    path = tmp_path / 'bad.conll'
    path.write_text(f'Barack B-PER\n\n{line}\n')
    with pytest.raises(DatasetError, match=rf'bad\.conll: {message}'):
        from_conll(path)


def test_wnut16_tweets_without_repeats():
    assert SPAN_DATASETS == {'wnut16': wnut16}
    texts, spans, labels = wnut16()
    # 2,394 tweets in the file, 99 repeating an earlier text.
    assert len(texts) == len(set(texts)) == len(spans) == 2295
    assert labels == ['company', 'facility', 'geo-loc', 'movie', 'musicartist',
                      'other', 'person', 'product', 'sportsteam', 'tvshow']
    assert sum(map(len, spans)) == 1428
    assert sum(1 for found in spans if not found) == 1418
    assert texts[0].startswith("@paulwalk It 's the view from where I 'm living")
    assert [(texts[0][start:end], label) for start, end, label in spans[0]] == [
        ('Empire State Building', 'facility'), ('ESB', 'facility')]
    for text, found in zip(texts, spans):
        assert found == sorted(found)
        assert all(text[start:end] and text[start:end] == text[start:end].strip() for start, end, _ in found)


def test_label_studio_span_export_takes_the_first_non_cancelled_annotation(tmp_path):
    def region(start, end, label):
        return {'type': 'labels', 'value': {'start': start, 'end': end, 'text': '', 'labels': [label]}}

    export = [
        {'id': 1, 'data': {'text': 'Ada Lovelace joined Acme'}, 'annotations': [
            {'was_cancelled': True, 'result': [region(0, 3, 'ORG')]},
            {'result': [region(20, 24, 'ORG'), region(0, 12, 'PER'),
                        {'type': 'choices', 'value': {'choices': ['news']}}]}]},
        {'id': 2, 'data': {'text': 'Nothing here'}, 'annotations': [{'result': []}]},
        {'id': 3, 'data': {'text': 'Skipped'}, 'annotations': [{'was_cancelled': True, 'result': []}]},
        {'id': 4, 'data': {'text': 'Not labeled yet'}, 'annotations': []},
    ]
    path = tmp_path / 'export.json'
    path.write_text(json.dumps(export))
    texts, spans, labels = spans_from_label_studio_export(path)
    assert texts == ['Ada Lovelace joined Acme', 'Nothing here']
    assert spans == [[(0, 12, 'PER'), (20, 24, 'ORG')], []]
    assert labels == ['ORG', 'PER']
    assert export_has_spans(path), 'lsal simulate reads it as spans'
    path.write_text(json.dumps([{'id': 1, 'data': {'text': 'x'}, 'annotations': [{'result': [
        {'type': 'choices', 'value': {'choices': ['news']}}]}]}]))
    assert not export_has_spans(path), 'and a Choices export as classes'


@pytest.mark.parametrize(('start', 'end'), [(3, 3), (5, 2), (-1, 2), (0, 6), ('0', 2), (0.0, 2), (None, 2)])
def test_label_studio_span_offsets_are_checked(tmp_path, start, end):
    export = [{'id': 7, 'data': {'text': 'hello'}, 'annotations': [
        {'result': [{'type': 'labels', 'value': {'start': start, 'end': end, 'labels': ['X']}}]}]}]
    path = tmp_path / 'export.json'
    path.write_text(json.dumps(export))
    with pytest.raises(DatasetError, match=r'task 7: span .* is not within its text of 5 characters'):
        spans_from_label_studio_export(path)


def test_label_studio_span_needs_a_label(tmp_path):
    export = [{'id': 8, 'data': {'text': 'hello'}, 'annotations': [
        {'result': [{'type': 'labels', 'value': {'start': 0, 'end': 5, 'labels': []}}]}]}]
    path = tmp_path / 'export.json'
    path.write_text(json.dumps(export))
    with pytest.raises(DatasetError, match='task 8: span 0-5 has no label'):
        spans_from_label_studio_export(path)


def test_label_studio_span_export_reads_the_named_field(tmp_path):
    export = [{'id': 9, 'data': {'title': 'Hi', 'body': 'Hi Bob'}, 'annotations': [
        {'result': [{'type': 'labels', 'value': {'start': 3, 'end': 6, 'labels': ['PER']}}]}]}]
    path = tmp_path / 'export.json'
    path.write_text(json.dumps(export))
    with pytest.raises(DatasetError, match=r"task 9: name the text field \(data has \['body', 'title'\]\)"):
        spans_from_label_studio_export(path)
    assert spans_from_label_studio_export(path, text_field='body') == (['Hi Bob'], [[(3, 6, 'PER')]], ['PER'])
