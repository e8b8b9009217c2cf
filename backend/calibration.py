"""One bfloat16 calibration per kind of machine, device and encoder, shared through Redis.

Processes that start together (gunicorn's workers, the RQ worker, each work horse on a GPU) would each time
fp32 against bfloat16 while the others load the same cores, and decide from each other's noise. Here one
process measures, under a lock, while the others wait and then read its decision.
"""
import json
import logging
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timezone

import torch
from redis.exceptions import RedisError

from backend import keys, ownership
from model.device import Calibration, calibrate, machine_kind

logger = logging.getLogger(__name__)

LOCK_SECONDS = 300
"""How long the measuring process holds the lock: past it (that process died), another one measures."""

POLL_SECONDS = 0.5
"""Seconds between two looks for the decision while another process measures."""


def shared_calibration(redis, isolated=False):
    """``calibration(base_model, device)`` for :meth:`~model.device.Runtime.create`: the decision stored in
    ``redis`` for this machine kind, device and encoder, measured here (``isolated``: in a child process)
    if none is stored and no other process is measuring, else awaited. Without Redis, measured here."""

    def calibration(base_model, device):
        try:
            return _shared(redis, base_model, device, isolated)
        except RedisError as error:
            logger.warning('Precision on %s: Redis unreachable (%s); measuring in this process', device, error)
            return calibrate(base_model, device, isolated=isolated)

    return calibration


def _shared(redis, base_model, device, isolated):
    """The stored decision; else measure it under the lock; else wait for the process that does."""
    where = {'machine': machine_kind(device), 'device': str(device), 'encoder': str(base_model),
             'torch': torch.__version__}
    key = keys.calibration(json.dumps(where, sort_keys=True))
    while True:
        stored = redis.get(key)
        if stored is not None:
            stored = json.loads(stored)
            logger.debug('Precision on %s: the decision measured at %s (%s)', device, stored['measured_at'],
                         stored['machine'])
            return Calibration.from_dict(stored['calibration'])
        token = uuid.uuid4().hex
        if redis.set(f'{key}:lock', token, nx=True, ex=LOCK_SECONDS):
            try:
                measured = calibrate(base_model, device, isolated=isolated)
                measured_at = datetime.now(timezone.utc).isoformat(timespec='seconds')
                redis.set(key, json.dumps({**where, 'calibration': asdict(measured), 'measured_at': measured_at}))
                logger.info('Precision on %s: measured here, for every process on %s', device, where['machine'])
                return measured
            finally:
                ownership.run(redis, ownership.DELETE_IF_OWNED, f'{key}:lock', token)
        time.sleep(POLL_SECONDS)


def stored_calibrations(redis):
    """Every stored decision, for the status page: dicts of ``machine``, ``device``, ``encoder``, ``torch``,
    ``calibration`` (as ``dataclasses.asdict`` gives it) and ``measured_at``, oldest first."""
    found = []
    for key in redis.scan_iter(match=keys.CALIBRATIONS):
        stored = None if key.endswith(b':lock') else redis.get(key)
        if stored is not None:
            found.append(json.loads(stored))
    return sorted(found, key=lambda entry: entry['measured_at'])
