import numpy as np

from model.spans.bio import IGNORED, decode_tags, encode_spans, tag_names

LABELS = ['PER', 'LOC']
# "Ann Lee in Paris": [CLS] ann lee in par ##is [SEP]
OFFSETS = [(0, 0), (0, 3), (4, 7), (8, 10), (11, 14), (14, 16), (0, 0)]


def test_tag_names_interleave_begin_and_inside():
    assert tag_names(LABELS) == ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']


def test_tokens_of_a_span_are_begin_then_inside_and_special_tokens_ignored():
    tags = encode_spans(OFFSETS, [(0, 7, 'PER'), (11, 16, 'LOC')], LABELS)
    assert tags.tolist() == [IGNORED, 1, 2, 0, 3, 4, IGNORED]


def test_a_window_starting_inside_an_entity_continues_it():
    # The window holds only "lee in": its first token is inside "Ann Lee".
    assert encode_spans([(0, 0), (4, 7), (8, 10), (0, 0)], [(0, 7, 'PER')], LABELS).tolist() == [IGNORED, 2, 0, IGNORED]


def one_hot(tags, confidence=0.9):
    p = np.full((len(tags), 5), (1 - confidence) / 4)
    p[np.arange(len(tags)), tags] = confidence
    return p


def test_decode_joins_inside_tags_and_trims_whitespace():
    text = 'Ann Lee in Paris'
    offsets = OFFSETS[1:-1]
    spans = decode_tags(text, offsets, one_hot([1, 2, 0, 3, 4]), LABELS)
    assert [(s, e, label) for s, e, label, _ in spans] == [(0, 7, 'PER'), (11, 16, 'LOC')]
    assert [text[s:e] for s, e, _, _ in spans] == ['Ann Lee', 'Paris']
    assert spans[0][3] == 0.9


def test_inside_tag_of_another_type_or_after_outside_starts_an_entity():
    offsets = OFFSETS[1:-1]
    spans = decode_tags('Ann Lee in Paris', offsets, one_hot([2, 4, 0, 4, 2]), LABELS)
    assert [(s, e, label) for s, e, label, _ in spans] == [(0, 3, 'PER'), (4, 7, 'LOC'), (11, 14, 'LOC'),
                                                           (14, 16, 'PER')]


def test_no_tokens_no_spans():
    assert decode_tags('', np.zeros((0, 2), dtype=int), np.zeros((0, 5)), LABELS) == []
