"""model/: inference shapes, MC passes, the version store and the cache, on the 2-layer encoder."""
import logging

import numpy as np
import pytest

from model import ModelCache, ModelNotFoundError, TrainingConfig, VersionStore
from model.acquisition import Acquisition
from model.device import CPU, MAX_GRADIENT_DIFFERENCE, Runtime, calibrate, choose_bf16
from model.task_types import TextClassification
from model.text_classification import TextPredictor, fine_tune

LABELS = ['business', 'entertainment', 'politics', 'sports', 'tech']


@pytest.fixture(scope='module')
def predictor(tiny_encoder, bbc):
    train = bbc[:10]
    return fine_tune(tiny_encoder, [t for t, _ in train], [[label] for _, label in train], LABELS,
                     config=TrainingConfig(max_length=32, min_steps=4, epochs=1))


def test_infer_shapes_and_order(predictor, bbc):
    texts = [t for t, _ in bbc[20:27]]
    out = predictor.infer(texts, mc_passes=5, rng=np.random.default_rng(0))
    assert out.probabilities.shape == (7, 5) and out.embeddings.shape == (7, 384)
    assert out.mc_probabilities.shape == (5, 7, 5)
    np.testing.assert_allclose(out.probabilities.sum(axis=1), 1, atol=1e-5)
    assert not np.allclose(out.mc_probabilities[0], out.mc_probabilities[1]), 'dropout makes passes differ'
    one_by_one = np.vstack([predictor.predict_proba([text]) for text in texts])
    np.testing.assert_allclose(one_by_one, out.probabilities, atol=1e-5)
    assert predictor.infer([]).probabilities.shape == (0, 5)


@pytest.mark.parametrize('strategy', ['margin', 'bald', 'badge', 'coreset', 'typiclust', 'random'])
def test_acquisition_scores_every_text(predictor, bbc, strategy):
    acquisition = Acquisition(strategy, batch_size=3, labeled_texts=tuple(t for t, _ in bbc[:10]), mc_passes=4)
    _, scores = acquisition.score(predictor, [t for t, _ in bbc[30:42]], np.random.default_rng(0))
    assert scores.shape == (12,) and np.all((scores >= 0) & (scores <= 1))


def test_balanced_acquisition_counts_the_labeled_classes(predictor, bbc):
    labels = tuple(sorted({label for _, label in bbc}))
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=labels)
    labeled = [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(bbc[:10])]
    acquisition = Acquisition('balanced', batch_size=4).with_labeled(task_type, labeled)
    assert acquisition.labeled_counts == tuple((label, sum(label == c for _, c in bbc[:10])) for label in labels)
    assert not acquisition.per_task, 'quotas are over the whole pool'
    _, scores = acquisition.score(predictor, [t for t, _ in bbc[30:42]], np.random.default_rng(0))
    assert np.sum(scores < 0.5) == 4 and np.all(scores <= 1)


def test_a_config_whose_labels_changed_since_training_reads_the_model_by_label_name(predictor, bbc):
    reordered = TextClassification(from_name='label', to_name='text', field='text',
                                   labels=('weather', 'tech', 'sports', 'politics', 'entertainment', 'business'))
    texts = [t for t, _ in bbc[30:42]]
    trained = predictor.predict_proba(texts)
    outputs = reordered.outputs(predictor, texts)
    assert outputs.shape == (12, 6) and np.all(outputs[:, 0] == 0), 'no probability for a label it never saw'
    np.testing.assert_allclose(outputs[:, 1:], trained[:, ::-1], atol=1e-6)
    acquisition = Acquisition('balanced', batch_size=4).with_labeled(
        reordered, [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(bbc[:10])])
    same = Acquisition('balanced', batch_size=4).with_labeled(
        TextClassification(from_name='label', to_name='text', field='text', labels=tuple(LABELS)),
        [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(bbc[:10])])
    _, scores = acquisition.score(predictor, texts, np.random.default_rng(0))
    _, expected = same.score(predictor, texts, np.random.default_rng(0))
    np.testing.assert_array_equal(scores, expected, err_msg='the same quotas, whatever order the config names them in')


def test_store_round_trip_and_cache(predictor, bbc, tmp_path):
    store = VersionStore(tmp_path)
    (tmp_path / '7' / '.partial-v0-dead').mkdir(parents=True)  # a crash during an earlier save
    store.save('7', 'v1', predictor, {'note': 'x'})
    assert store.versions('7') == ['v1'], 'a half-written folder is never listed'
    store.prune('7', {'v1'})
    assert [p.name for p in (tmp_path / '7').iterdir()] == ['v1'], 'prune removes what a crash left'
    texts = [t for t, _ in bbc[50:55]]
    cache = ModelCache(store, size=1)
    loaded = cache.get('7', 'v1')
    np.testing.assert_allclose(loaded.predict_proba(texts), predictor.predict_proba(texts), atol=1e-5)
    assert cache.get('7', 'v1') is loaded, 'a version is loaded once per process'
    assert store.manifest('7', 'v1')['note'] == 'x'
    with pytest.raises(FileExistsError):
        store.save('7', 'v1', predictor, {})
    with pytest.raises(ModelNotFoundError, match="version: 'v9' of project 7"):
        cache.get('7', 'v9')


def test_unknown_label_in_targets_is_named(tiny_encoder):
    from model import TrainingDataError
    with pytest.raises(TrainingDataError, match=r"unknown labels \['weather'\]"):
        fine_tune(tiny_encoder, ['a text'], [['weather']], LABELS)


def test_auto_precision_calibrates_once_and_follows_its_own_figures(tiny_encoder, caplog):
    caplog.set_level(logging.INFO, logger='model.device')
    runtime = Runtime.create('cpu', 'auto', tiny_encoder)
    again = Runtime.create('cpu', 'auto', tiny_encoder)
    logged = [r.getMessage() for r in caplog.records if 'Inference precision' in r.getMessage()]
    assert len(logged) == 1, logged
    calibration = calibrate(tiny_encoder)
    decision, training = calibration.inference, calibration.training
    assert decision.fp32_seconds > 0 and decision.bf16_seconds > 0 and training.fp32_seconds > 0
    assert decision == choose_bf16(decision.fp32_seconds, decision.bf16_seconds, decision.agreement,
                                   decision.difference)
    assert training == choose_bf16(training.fp32_seconds, training.bf16_seconds, training.agreement,
                                   training.difference, max_difference=MAX_GRADIENT_DIFFERENCE)
    assert training.difference < MAX_GRADIENT_DIFFERENCE, 'bf16 gradients point where fp32 ones do'
    assert runtime.inference_bf16 == again.inference_bf16 == decision.bf16
    assert runtime.train_bf16 == training.bf16
    assert Runtime.create('cpu', False, tiny_encoder, training_bf16=False) == CPU


def test_a_predictor_under_bf16_agrees_with_fp32(predictor, bbc):
    texts = [text for text, _ in bbc[300:340]]
    fp32 = predictor.predict_proba(texts)
    bf16 = TextPredictor(predictor.classifier, predictor.tokenizer, predictor.card,
                     Runtime(inference_bf16=True)).predict_proba(texts)
    # Four steps on ten texts leave near ties (margins of 0.001 to 0.09), which bf16's rounding may flip:
    # a class may differ only where fp32's margin is within the two probabilities' difference.
    difference = np.abs(fp32 - bf16).max()
    assert difference < 0.02
    top = np.sort(fp32, axis=1)
    flipped = fp32.argmax(axis=1) != bf16.argmax(axis=1)
    assert (top[flipped, -1] - top[flipped, -2] <= 2 * difference).all()
    assert not np.array_equal(fp32, bf16)  # autocast did run


def test_an_isolated_calibration_measures_in_a_child_process(tiny_encoder, monkeypatch):
    monkeypatch.setattr('model.device._decisions', {})
    calibration = calibrate(tiny_encoder, isolated=True)
    decision = calibration.inference
    assert decision.fp32_seconds > 0 and decision.agreement == 1.0 and calibration.training.fp32_seconds > 0
    assert decision == choose_bf16(decision.fp32_seconds, decision.bf16_seconds, decision.agreement,
                                   decision.difference)
