"""A real `lsal start` wired to the real Label Studio of ``tests/conftest.py``."""
import os
import subprocess
import sys

import pytest

from support.servers import free_port, stop, wait_until_up

BACKEND_STARTUP_TIMEOUT = 180
"""Seconds ``lsal start`` may take to answer: imports, and the bf16 calibration in the web process and
in the worker's child, all on the 2 cores Label Studio also uses (60 s was passed on a busy machine)."""


@pytest.fixture
def backend_settings():
    """Settings a test module's backend has besides the ones below (override the fixture to set some)."""
    return {}


@pytest.fixture
def backend(label_studio, redis_url, redis, tmp_path, tiny_encoder, backend_settings):
    """A real ``lsal start`` (web + worker) wired to Label Studio, on MiniLM's first two layers (the full
    model's fine-tune has its own test); yields its URL."""
    ls_url, token = label_studio
    port = free_port()
    env = {**os.environ, 'REDIS_URL': redis_url, 'MODEL_DIR': str(tmp_path / 'models'), 'BASE_MODEL': tiny_encoder,
           'LABEL_STUDIO_URL': ls_url, 'LABEL_STUDIO_API_KEY': token, 'TRAIN_EVERY': '10', 'MAX_LENGTH': '64',
           'IMAGE_SIZE': '64', 'HF_HUB_OFFLINE': '1', 'PORT': str(port), 'HOST': '127.0.0.1', **backend_settings}
    log = tmp_path / 'lsal.log'
    process = subprocess.Popen([sys.executable, '-m', 'backend.cli', 'start'], env=env,
                               stdout=open(log, 'w'), stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_until_up(f'{url}/health', process, BACKEND_STARTUP_TIMEOUT, log)
        yield url, log
    finally:
        stop(process)
