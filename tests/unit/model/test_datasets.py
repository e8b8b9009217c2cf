import json

import pytest

from simulation.datasets import DatasetError, from_csv, from_label_studio_export


def test_label_studio_export_takes_the_first_usable_annotation(tmp_path):
    export = [
        {'id': 1, 'data': {'text': 'a'}, 'annotations': [
            {'was_cancelled': True, 'result': [{'type': 'choices', 'value': {'choices': ['x']}}]},
            {'result': [{'type': 'choices', 'value': {'choices': ['y']}}]}]},
        {'id': 2, 'data': {'text': 'b'}, 'annotations': []},
    ]
    path = tmp_path / 'export.json'
    path.write_text(json.dumps(export))
    assert from_label_studio_export(path) == (['a'], ['y'])


def test_label_studio_export_with_several_fields_needs_the_field_named(tmp_path):
    path = tmp_path / 'export.json'
    path.write_text(json.dumps([{'id': 1, 'data': {'title': 't', 'body': 'b'}, 'annotations': []}]))
    with pytest.raises(DatasetError, match=r"name the text field \(data has \['body', 'title'\]\)"):
        from_label_studio_export(path)


def test_csv_columns_are_checked(tmp_path):
    path = tmp_path / 'data.csv'
    path.write_text('text,label\nhello,greeting\nbye,\n')
    assert from_csv(path) == (['hello'], ['greeting'])
    with pytest.raises(DatasetError, match=r"missing column\(s\) \['topic'\]"):
        from_csv(path, label_column='topic')
