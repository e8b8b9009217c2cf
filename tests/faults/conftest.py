"""Processes a fault test starts and breaks itself: a Redis server and RQ worker processes."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_py

from support.servers import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout, what, interval=0.2):
    """Poll ``condition()`` until it returns something truthy; returns it and the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = condition()
        if value:
            return value, time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f'{what}: not within {timeout}s')


class RedisServer:
    """A ``redis-server`` on a free loopback port, persisting to an append-only file it reloads on start."""

    def __init__(self, folder):
        self.folder, self.port, self.process = folder, free_port(), None
        self.url = f'redis://127.0.0.1:{self.port}/0'

    def start(self):
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1', '--dir', str(self.folder),
             '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_py.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 10, f'redis-server on port {self.port}')

    def stop(self):
        """Shut down cleanly (the append-only file keeps every write)."""
        self.process.terminate()
        self.process.wait(timeout=10)


def _pings(client):
    try:
        return client.ping()
    except redis_py.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def descendants(pid):
    """Process ids of every process below ``pid`` (RQ's work horse leaves the worker's process group)."""
    children = {}
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


class WorkerProcess:
    """``lsal worker`` and the processes it starts (its scheduler, the work horse running a job)."""

    def __init__(self, env, log):
        self.log = log
        self.process = subprocess.Popen([sys.executable, '-m', 'backend.cli', 'worker'], cwd=REPO, env=env,
                                        stdout=open(log, 'a'), stderr=subprocess.STDOUT)

    def kill(self):
        """What a lost node or the OOM killer does: every process of the worker dies at once."""
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self):
        return Path(self.log).read_text()


@pytest.fixture
def start_worker(tmp_path):
    """Start ``lsal worker`` processes with ``os.environ`` plus overrides; all are stopped after the test."""
    workers = []

    def start(**overrides):
        env = {**os.environ, 'HF_HUB_OFFLINE': '1', **overrides}
        worker = WorkerProcess(env, tmp_path / f'worker-{len(workers)}.log')
        workers.append(worker)
        return worker
    yield start
    for worker in workers:
        worker.stop()
