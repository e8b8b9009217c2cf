"""Which labels are probably wrong: confident learning (``cleanlab``) on out-of-sample predicted probabilities,
and those probabilities by cross-validation where no model has them."""
import numpy as np
from cleanlab.filter import find_label_issues
from cleanlab.multilabel_classification.filter import find_label_issues as find_multilabel_issues
from cleanlab.multilabel_classification.rank import get_label_quality_scores as multilabel_quality_scores
from cleanlab.rank import get_label_quality_scores
from cleanlab.token_classification.filter import find_label_issues as find_token_issues
from cleanlab.token_classification.rank import get_label_quality_scores as token_quality_scores
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier

FOLDS = 5
"""Folds of the cross-validation."""

CLEANLAB_JOBS = 1
"""cleanlab's processes: one, in the caller's. By default it forks a pool per call, and a process whose
PyTorch threads are running (a web process, an RQ worker, a test) can fork a child that never ends: a
CI run hung in the pool's ``terminate``."""


def classification_issues(given, probabilities, multi_label=False):
    """Quality of each label and whether confident learning finds it wrong.

    Args:
        given: class indices ``(n,)``, or for multi-label a list of index lists.
        probabilities: out-of-sample class probabilities ``(n, num_classes)``.

    Returns:
        ``(quality, issue)``: arrays ``(n,)``, quality in ``[0, 1]`` (lower = more likely wrong; the
        probability of the given label, its mean over classes for multi-label) and a boolean mask.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if multi_label:
        given = [list(labels) for labels in given]
        return (multilabel_quality_scores(given, probabilities),
                find_multilabel_issues(given, probabilities, low_memory=False, n_jobs=CLEANLAB_JOBS))
    given = np.asarray(given, dtype=np.int64)
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    return (get_label_quality_scores(given, probabilities),
            find_label_issues(given, probabilities, n_jobs=CLEANLAB_JOBS))


def token_issues(given, probabilities):
    """Quality of each text's token labels and whether confident learning finds one of them wrong.

    Args:
        given: per text, the class index of each token ``(num_tokens,)``.
        probabilities: per text, out-of-sample class probabilities ``(num_tokens, num_classes)``.

    Returns:
        ``(quality, issue)``: arrays ``(n,)``, quality in ``[0, 1]`` (the probability of the given class of
        the text's least likely token; 1 for a text without tokens) and a boolean mask.
    """
    quality, issue = np.ones(len(given)), np.zeros(len(given), dtype=bool)
    texts = [i for i, tokens in enumerate(given) if len(tokens)]
    if texts:
        labels = [np.asarray(given[i], dtype=np.int64).tolist() for i in texts]
        normalised = [np.asarray(probabilities[i], dtype=np.float64) for i in texts]
        normalised = [p / p.sum(axis=1, keepdims=True) for p in normalised]
        quality[texts], _ = token_quality_scores(labels, normalised)
        for text, _ in find_token_issues(labels, normalised, n_jobs=CLEANLAB_JOBS):
            issue[texts[text]] = True
    return quality, issue


def cross_validated_probabilities(features, given, num_classes, multi_label=False, seed=0):
    """Class probabilities of each example by a logistic regression on ``features`` that never saw it
    (:data:`FOLDS`-fold cross-validation; a class absent from a fold's training part gets probability 0).

    Args:
        features: ``(n, dim)``, such as a pretrained encoder's embeddings.
        given: class indices ``(n,)``, or for multi-label a 0/1 matrix ``(n, num_classes)``.
    """
    features, given = np.asarray(features), np.asarray(given)
    folds = KFold(n_splits=min(FOLDS, len(features)), shuffle=True, random_state=seed)
    if multi_label:
        model = OneVsRestClassifier(LogisticRegression(max_iter=1000))
        return cross_val_predict(model, features, given, cv=folds, method='predict_proba')
    probabilities = np.zeros((len(features), num_classes))
    for fit, held in folds.split(features):
        present = np.unique(given[fit])
        if len(present) == 1:  # every other example has one class: that is all a model could say
            probabilities[held, present[0]] = 1.0
            continue
        model = LogisticRegression(max_iter=1000).fit(features[fit], given[fit])
        probabilities[np.ix_(held, model.classes_)] = model.predict_proba(features[held])
    return probabilities


def averaged(*outputs):
    """The output a label is judged by: the mean of its out-of-sample outputs (a version's, held-out or kept
    from before the task was labeled; the cross-validations'), leaving out those that are None."""
    present = [output for output in outputs if output is not None]
    return present[0] if len(present) == 1 else np.mean(present, axis=0)
