"""Agreement figures against hand computations."""
import json

import pytest

from model.annotator_agreement import agreement_report, alpha
from model.consensus import annotator_of, consensus
from model.text_classification import TextClassification


def test_alpha_of_two_annotators_by_hand():
    # Units (x, x), (y, y), (x, y): coincidences o_xx = o_yy = 2, o_xy = o_yx = 1, n_x = n_y = 3, n = 6.
    # D_o = 2/6, D_e = 2 * 3 * 3 / (6 * 5) = 0.6: alpha = 1 - (1/3) / 0.6 = 4/9.
    assert alpha({'a': {1: 'x', 2: 'y', 3: 'x'}, 'b': {1: 'x', 2: 'y', 3: 'y'}}) == pytest.approx(4 / 9)


def test_alpha_is_undefined_without_overlap_or_variety():
    assert alpha({'a': {1: 'x'}, 'b': {2: 'y'}}) is None, 'no task labeled twice'
    assert alpha({'a': {1: 'x', 2: 'x'}, 'b': {1: 'x', 2: 'x'}}) is None, 'one label throughout'
    assert alpha({'a': {1: 'x', 2: 'y'}}) is None
    assert alpha({'a': {1: 'x', 2: 'x', 3: 'y'}, 'b': {1: 'x', 2: 'x', 4: 'y'}}) is None, \
        'one label throughout the tasks both labeled, though others hold another'


def test_a_report_of_full_agreement_is_valid_json():
    annotations = [(1, 1, 'a'), (2, 1, 'a'), (1, 2, 'a'), (2, 2, 'a'), (1, 3, 'b'), (2, 4, 'b')]
    report = agreement_report(annotations, consensus={1: 'a', 2: 'a'}, model={})
    assert report['alpha'] is None and report['pairs'][0]['alpha'] is None
    assert report['pairs'][0]['agreement'] == 1.0
    json.dumps(report, allow_nan=False)


def test_report_pairs_and_annotators():
    annotations = [('a', 1, 'x'), ('a', 2, 'y'), ('a', 3, 'x'), ('b', 1, 'x'), ('b', 2, 'y'), ('b', 3, 'y'),
                   ('c', 4, 'x')]
    report = agreement_report(annotations, consensus={1: 'x', 2: 'y', 3: 'y'}, model={1: 'x', 2: 'x', 4: 'x'})
    assert report['alpha'] == pytest.approx(0.4444)
    assert report['pairs'] == [{'annotators': ['a', 'b'], 'tasks': 3, 'alpha': 0.4444, 'agreement': 0.6667}]
    people = {p['annotator']: p for p in report['annotators']}
    assert people['a']['with_consensus'] == 0.6667 and people['b']['with_consensus'] == 1.0
    assert people['a']['with_model'] == 0.5 and people['c']['with_model'] == 1.0
    assert people['c']['with_consensus'] is None


TOPIC = TextClassification(from_name='topic', to_name='text', field='text', labels=('x', 'y'))


def example(annotation, task, label, annotator):
    return {'annotation': annotation, 'task': task, 'text': 't', 'choices': [label], 'annotator': annotator}


def test_consensus_is_the_majority_and_a_tie_goes_to_the_newest():
    chosen = consensus(TOPIC, [example(5, 1, 'y', 'b'), example(3, 1, 'x', 'a'), example(7, 1, 'x', 'c'),
                               example(4, 2, 'x', 'a'), example(6, 2, 'y', 'b'), example(8, 3, 'y', 'a')])
    assert [(e['task'], e['choices'], e['num_annotations'], e['agreeing']) for e in chosen] == [
        (1, ['x'], 3, 2), (2, ['y'], 2, 1), (3, ['y'], 1, 1)]
    assert chosen[0]['annotation'] == 7, 'the newest of the majority'


@pytest.mark.parametrize('completed_by, annotator', [
    (3, 3), ({'id': 3, 'email': 'ann@example.com'}, 3), ({'email': 'ann@example.com'}, None), (None, None),
    (True, None), ('3', None)])
def test_annotator_of(completed_by, annotator):
    assert annotator_of({'completed_by': completed_by}) == annotator
