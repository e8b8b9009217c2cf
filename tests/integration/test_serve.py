"""`lsal serve` is a production server: gunicorn workers, a graceful stop on SIGTERM."""
import os
import signal
import subprocess
import sys
import time

import requests

from support.servers import free_port, wait_until_up


def test_lsal_serve_runs_gunicorn_workers_and_stops_on_sigterm(env, tmp_path):
    port = free_port()
    log = tmp_path / 'serve.log'
    process = subprocess.Popen([sys.executable, '-m', 'backend.cli', 'serve', '--host', '127.0.0.1', '--port',
                                str(port)], env={**os.environ, 'WEB_WORKERS': '2', 'WEB_THREADS': '2'},
                               stdout=open(log, 'w'), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f'http://127.0.0.1:{port}/health', process, 60, log)
        response = requests.get(f'http://127.0.0.1:{port}/health', timeout=5)
        assert response.json()['status'] == 'UP' and response.headers['Server'].startswith('gunicorn')
        # The first worker may answer before the second has booted.
        deadline = time.monotonic() + 60
        while log.read_text().count('Booting worker with pid') < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().count('Booting worker with pid') == 2
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()[-2000:]
    assert 'Shutting down: Master' in log.read_text()
