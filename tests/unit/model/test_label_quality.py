"""Label issues from hand-built probabilities, where the wrong labels are known."""
import multiprocessing.pool

import numpy as np
import pytest

from model.label_quality import averaged, classification_issues, cross_validated_probabilities, token_issues
from model.spans import SpanLabeling
from model.text_classification import TextClassification

CONFIDENT = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])


def confident_set(repeats=10):
    """Each class ``repeats`` times, the model sure of each: labels all right."""
    return np.tile(np.arange(3), repeats), np.tile(CONFIDENT, (repeats, 1))


def test_a_label_the_model_is_sure_against_is_an_issue_and_ranks_first():
    given, probabilities = confident_set()
    given[[4, 17]] = 0  # classes 1 and 2, and the model gives 0 only 0.05: wrong
    probabilities[9] = [0.3, 0.3, 0.4]  # unsure, and given 0: quality 0.3, not an issue
    quality, issue = classification_issues(given, probabilities)
    assert np.flatnonzero(issue).tolist() == [4, 17]
    assert quality[4] == pytest.approx(0.05) and quality[9] == pytest.approx(0.3) and quality[0] == pytest.approx(0.9)
    assert np.argsort(quality)[:2].tolist() in ([4, 17], [17, 4])


def test_multi_label_issue_is_a_missing_or_extra_label():
    given = [[0], [1], [0, 1], [2]] * 8
    probabilities = np.array([[0.95, 0.05, 0.05], [0.05, 0.95, 0.05], [0.95, 0.95, 0.05], [0.05, 0.05, 0.95]] * 8)
    given[5] = [1, 2]  # a label the model is sure is absent
    given[10] = [2]  # the model is sure of 0 and 1 here
    quality, issue = classification_issues(given, probabilities, multi_label=True)
    assert set(np.flatnonzero(issue)) == {5, 10}
    assert quality[5] < quality[4] and quality[10] < quality[4]


def test_cross_validated_probabilities_never_see_the_example():
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(0, 1, (30, 4)), rng.normal(6, 1, (30, 4))])
    given = np.array([0] * 30 + [1] * 30)
    given[3] = 1  # sits among class 0: a model that saw it would still lean to 1 a little
    probabilities = cross_validated_probabilities(features, given, num_classes=3)
    assert probabilities.shape == (60, 3)
    assert np.allclose(probabilities.sum(axis=1), 1) and not probabilities[:, 2].any(), 'class 2 never given'
    assert probabilities[3, 0] > 0.9, 'judged by folds that never saw it'
    quality, issue = classification_issues(given, probabilities)
    assert np.flatnonzero(issue).tolist() == [3]


def test_cross_validated_probabilities_when_a_fold_trains_on_one_class():
    rng = np.random.default_rng(2)
    features = rng.normal(0, 1, (10, 3))
    given = np.array([0] * 9 + [1])  # the fold holding out the only 1 trains on class 0 alone
    probabilities = cross_validated_probabilities(features, given, num_classes=2)
    assert np.allclose(probabilities.sum(axis=1), 1) and probabilities[9].tolist() == [1.0, 0.0]


def test_cross_validated_probabilities_multi_label_and_one_class():
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (20, 3))
    given = np.zeros((20, 2))
    given[:, 0] = features[:, 0] > 0
    assert cross_validated_probabilities(features, given, 2, multi_label=True).shape == (20, 2)
    single = cross_validated_probabilities(features, np.ones(20, dtype=int), 3)
    assert (single[:, 1] == 1).all()


def test_classification_type_reads_labels_and_suggests():
    task_type = TextClassification(from_name='topic', to_name='text', field='text', labels=('a', 'b', 'c'))
    examples = [{'task': i, 'text': 't', 'choices': [['a', 'b', 'c'][i % 3]]} for i in range(30)]
    examples[4]['choices'] = ['a']
    quality, issue, suggested = task_type.label_issues(np.tile(CONFIDENT, (10, 1)), examples)
    assert np.flatnonzero(issue).tolist() == [4] and suggested[4] == ['b']
    assert task_type.reads_output([0.2, 0.8, 0.0]) and not task_type.reads_output([0.2, 0.8])
    assert task_type.kept_output(np.array([0.123456, 0.876544, 0.0])) == [0.1235, 0.8765, 0.0]
    assert task_type.label_key({'choices': ['b', 'a']}) == task_type.label_key({'choices': ['a', 'b']})
    assert not task_type.holds({'task': 1, 'text': 't', 'choices': ['gone']}), 'a label the config dropped'


def test_averaged_takes_the_mean_of_the_outputs_there_are():
    np.testing.assert_allclose(averaged([0.8, 0.2], [0.4, 0.6]), [0.6, 0.4])
    np.testing.assert_allclose(averaged([0.9, 0.1], None, [0.3, 0.7], [0.6, 0.4]), [0.6, 0.4])
    assert averaged(None, [0.4, 0.6]) == [0.4, 0.6] and averaged([0.8, 0.2], None) == [0.8, 0.2]


@pytest.mark.parametrize('multi_label', [False, True])
def test_confident_learning_runs_in_the_callers_process(monkeypatch, multi_label):
    """A forked pool in a process with PyTorch threads running can hang for good (it did, in CI)."""
    def no_pool(*args, **kwargs):
        raise AssertionError('cleanlab started a process pool')

    monkeypatch.setattr(multiprocessing.pool.Pool, '__init__', no_pool)
    probabilities = np.random.default_rng(0).dirichlet(np.ones(3), size=60)
    given = [[int(p.argmax())] for p in probabilities] if multi_label else probabilities.argmax(axis=1)
    quality, issue = classification_issues(given, probabilities, multi_label=multi_label)
    assert quality.shape == issue.shape == (60,)


def sure_tokens(classes):
    """Probabilities ``(len(classes), 3)`` of a model 0.9 sure of each token's class."""
    probabilities = np.full((len(classes), 3), 0.05)
    probabilities[np.arange(len(classes)), classes] = 0.9
    return probabilities


def test_a_token_label_the_model_is_sure_against_makes_its_text_an_issue(monkeypatch):
    monkeypatch.setattr(multiprocessing.pool.Pool, '__init__', lambda *a, **k: pytest.fail('a process pool'))
    given = [np.array([0, 1, 1, 0, 2])] * 20 + [np.array([], dtype=int)]
    probabilities = [sure_tokens(g) for g in given]
    given[6] = np.array([0, 2, 1, 0, 2])  # the model is 0.9 sure token 1 is class 1
    probabilities[9] = np.array([[0.9, 0.05, 0.05], [0.35, 0.3, 0.35], [0.05, 0.9, 0.05], [0.9, 0.05, 0.05],
                                 [0.05, 0.05, 0.9]])  # unsure of its given class 1: low quality, no issue
    quality, issue = token_issues(given, probabilities)
    assert np.flatnonzero(issue).tolist() == [6]
    assert quality[6] == pytest.approx(0.05) and quality[9] == pytest.approx(0.3) and quality[0] == pytest.approx(0.9)
    assert quality[20] == 1.0 and not issue[20], 'a text without tokens has nothing to judge'


def test_span_type_judges_each_text_by_its_tokens_and_suggests_the_spans_found():
    task_type = SpanLabeling(from_name='ner', to_name='text', field='text', labels=('PER', 'LOC'))
    text = 'Ann went to Rome'
    offsets = np.array([[0, 3], [4, 8], [9, 11], [12, 16]])
    found = [[0, 3, 'PER'], [12, 16, 'LOC']]
    output = {'spans': found, 'tokens': np.hstack([offsets, sure_tokens(np.array([1, 0, 0, 2]))])}
    examples = [{'task': i, 'text': text, 'spans': [[0, 3, 'PER'], [12, 16, 'LOC']]} for i in range(20)]
    examples[3] = {**examples[3], 'spans': [[0, 3, 'LOC'], [12, 16, 'LOC']]}  # types swapped on Ann
    examples[8] = {**examples[8], 'spans': [[0, 3, 'PER']]}  # Rome left out
    quality, issue, suggested = task_type.label_issues([output] * 20, examples)
    assert np.flatnonzero(issue).tolist() == [3, 8]
    assert quality[3] == pytest.approx(0.05) and quality[8] == pytest.approx(0.05) and quality[0] == pytest.approx(0.9)
    assert suggested[3] == found
    kept = task_type.kept_output({'spans': found, 'tokens': output['tokens'] * [1, 1, 1.00001, 1, 1]})
    assert kept['tokens'][0] == [0, 3, 0.05, 0.9, 0.05] and kept['spans'] == found
    assert task_type.reads_output(kept) and not task_type.reads_output({'spans': found, 'tokens': [[0, 3, 1.0]]})
    assert not task_type.reads_output(found), 'spans alone (kept before token probabilities were)'
