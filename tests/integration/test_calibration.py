"""The bfloat16 calibration: measured once by processes that start together, shared through Redis, shown."""
import logging
import multiprocessing
import time
from dataclasses import asdict

import redis as redis_py
import torch

from backend.app import create_app
from backend.calibration import shared_calibration, stored_calibrations


def decide(redis_url, encoder, start):
    """In a process of its own: wait for ``start`` (a time.time()), then take the shared decision; returns it
    and what the backend logged about it."""
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger('backend.calibration').addHandler(handler)
    logging.getLogger('backend.calibration').setLevel(logging.DEBUG)
    time.sleep(max(0.0, start - time.time()))
    calibration = shared_calibration(redis_py.Redis.from_url(redis_url))(encoder, torch.device('cpu'))
    return asdict(calibration), records


def test_processes_starting_together_measure_once_and_share_the_decision(env, redis, redis_url, tiny_encoder):
    with multiprocessing.get_context('spawn').Pool(3) as pool:
        start = time.time() + 8  # every process started and imported by then
        runs = [pool.apply_async(decide, (redis_url, tiny_encoder, start)) for _ in range(3)]
        decisions, logs = zip(*[run.get(timeout=300) for run in runs])
    assert decisions[0] == decisions[1] == decisions[2]
    assert sorted(' '.join(log).count('measured here') for log in logs) == [0, 0, 1], logs
    assert sum(' '.join(log).count('the decision measured at') for log in logs) == 2
    stored = stored_calibrations(redis)
    assert len(stored) == 1 and stored[0]['calibration'] == decisions[0] and stored[0]['encoder'] == tiny_encoder
    assert stored[0]['device'] == 'cpu' and 'cores' in stored[0]['machine']
    assert not redis.keys('lsal:calibration:*:lock'), 'the lock is released'

    page = create_app().test_client().get('/status').get_data(as_text=True)
    assert 'Precision' in page and decisions[0]['inference']['reason'] in page


def decide_without_redis(encoder):
    """In a process of its own (its calibration stays there): the decision with Redis unreachable, and the log."""
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger('backend.calibration').addHandler(handler)
    unreachable = redis_py.Redis(host='127.0.0.1', port=1, socket_connect_timeout=1)
    return asdict(shared_calibration(unreachable)(encoder, torch.device('cpu'))), records


def test_without_redis_the_process_measures_for_itself(tiny_encoder):
    with multiprocessing.get_context('spawn').Pool(1) as pool:
        calibration, log = pool.apply(decide_without_redis, (tiny_encoder,))
    assert calibration['inference']['fp32_seconds'] > 0 and 'Redis unreachable' in ' '.join(log)
