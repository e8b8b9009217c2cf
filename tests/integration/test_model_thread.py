"""The web process calls PyTorch from one thread only (backend/model_thread.py)."""
import threading

import pytest

from backend import create_app
from backend.model_thread import ModelThread
from backend.views import ml
from model.device import Runtime
from support import payloads


def test_calls_run_in_order_on_one_long_lived_thread_and_errors_come_back():
    model_thread = ModelThread()
    names = [model_thread.run(lambda: threading.current_thread().name) for _ in range(3)]
    assert len(set(names)) == 1 and names[0] != threading.current_thread().name
    with pytest.raises(ZeroDivisionError):
        model_thread.run(lambda: 1 / 0)
    assert model_thread.run(threading.current_thread) is not threading.current_thread()


def test_the_calibration_and_predict_run_on_the_model_thread(env, monkeypatch):
    threads = {}

    def spy(name, function):
        def called(*args, **kwargs):
            threads.setdefault(name, set()).add(threading.current_thread().name)
            return function(*args, **kwargs)
        return called

    monkeypatch.setattr(Runtime, 'create', spy('runtime', Runtime.create))
    monkeypatch.setattr(ml, 'predict_tasks', spy('predict', ml.predict_tasks))
    client = create_app().test_client()
    for first in (0, 5):
        tasks = [payloads.task(i, f'text {i}') for i in range(first, first + 5)]
        assert client.post('/predict', json=payloads.predict(tasks)).status_code == 200
    assert len(threads['runtime'] | threads['predict']) == 1, threads
    assert threads['predict'] != {threading.current_thread().name}
