"""Servers the tests and benchmarks start: a real Label Studio 1.23.2 (installed into its own venv on first use),
and static files on loopback."""
import contextlib
import functools
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

LABEL_STUDIO_VERSION = '1.23.2'

LABEL_STUDIO_VENV = Path(os.environ.get(
    'LSAL_LABEL_STUDIO_VENV', Path.home() / '.cache' / 'lsal' / f'label-studio-{LABEL_STUDIO_VERSION}'))
"""Label Studio pins its own rq, redis and Django, so it lives in a venv of its own, reused across runs."""

LABEL_STUDIO_REQUIREMENTS = (f'label-studio=={LABEL_STUDIO_VERSION}', 'sentry-sdk<3')
"""What that venv holds. Label Studio 1.23.2 asks for any sentry-sdk from 2.16 on, and does not start with 3.0
(``TypeError: Unknown option 'send_default_pii'``)."""

STARTUP_TIMEOUT = 240
"""Seconds Label Studio may take to start (the first start runs its migrations)."""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def static_files(root):
    """Serve the files under ``root`` on loopback; gives ``url(path)`` of a file under it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield lambda path: f'http://127.0.0.1:{server.server_port}/{Path(path).relative_to(root)}'
    finally:
        server.shutdown()


def wait_until_up(url, process, timeout, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'{url}: exited with {process.returncode}\n{Path(log).read_text()[-3000:]}')
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still loading
            pass
        time.sleep(1)
    raise RuntimeError(f'{url}: not up after {timeout}s\n{Path(log).read_text()[-3000:]}')


def label_studio_binary():
    """The venv's ``label-studio``, installing :data:`LABEL_STUDIO_REQUIREMENTS` the first time (a few minutes)
    and whenever they changed since."""
    binary = LABEL_STUDIO_VENV / 'bin' / 'label-studio'
    marker = LABEL_STUDIO_VENV / '.installed'
    wanted = '\n'.join(LABEL_STUDIO_REQUIREMENTS)
    if not marker.exists() or marker.read_text() != wanted:
        subprocess.run([sys.executable, '-m', 'venv', str(LABEL_STUDIO_VENV)], check=True)
        subprocess.run([str(LABEL_STUDIO_VENV / 'bin' / 'pip'), 'install', '--quiet', *LABEL_STUDIO_REQUIREMENTS],
                       check=True)
        marker.write_text(wanted)
    return binary


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


class LabelStudioServer:
    """A Label Studio server on loopback with its own SQLite database; it can be stopped and started again."""

    def __init__(self, data):
        self.data, self.port, self.token = data, free_port(), secrets.token_hex(20)
        self.url = f'http://127.0.0.1:{self.port}'
        self.process = None

    def start(self):
        env = {**os.environ, 'LABEL_STUDIO_BASE_DATA_DIR': str(self.data), 'DJANGO_DB': 'sqlite',
               'COLLECT_ANALYTICS': 'false', 'ML_BLOCK_LOCAL_IP': 'false', 'SSRF_PROTECTION_ENABLED': 'false'}
        log = self.data / 'label-studio.log'
        self.process = subprocess.Popen(
            [str(label_studio_binary()), 'start', '--no-browser', '--host', '127.0.0.1', '--port', str(self.port),
             '--internal-host', '127.0.0.1', '--username', 'admin@example.com', '--password', 'Passw0rd!x',
             '--user-token', self.token, '--enable-legacy-api-token'],
            env=env, stdout=open(log, 'a'), stderr=subprocess.STDOUT, cwd=self.data)
        try:
            wait_until_up(f'{self.url}/health', self.process, STARTUP_TIMEOUT, log)
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        stop(self.process)
