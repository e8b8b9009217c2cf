"""Fetching task images through label-studio-sdk against a real HTTP server on loopback."""
import io
import logging
import multiprocessing
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from backend import media
from backend.media import MediaFiles
from backend.settings import Settings
from model.images import ImageUnreadable

TOKEN = 'secret-token-123'


def png(color):
    out = io.BytesIO()
    Image.new('RGB', (8, 8), color).save(out, format='PNG')
    return out.getvalue()


class Files(BaseHTTPRequestHandler):
    """Label Studio 1.23.2's answers: uploads behind a token, the storage proxy 400s, a missing path 500s."""

    files = {'/data/upload/1/a.png': png('red'), '/data/upload/1/b.png': png('blue'),
             '/public.png': png('green'), '/big.png': b'x' * 5000}
    seen = []

    def do_GET(self):
        self.seen.append((self.server.server_port, self.path, self.headers.get('Authorization')))
        if self.path.startswith('/storage-data/'):
            return self._answer(400, b'')
        if self.path == '/slow.png':
            time.sleep(2)
        if self.path.startswith('/race/'):
            return self._answer(200, png((int(self.path.split('/')[-1]) % 256, 0, 0)))
        if self.path.startswith('/data/') and self.headers.get('Authorization') != f'Token {TOKEN}':
            return self._answer(401, b'')
        if self.path not in self.files:
            return self._answer(500 if self.path.startswith('/data/') else 404, b'')
        self._answer(200, self.files[self.path])

    def _answer(self, status, body):
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    started = [ThreadingHTTPServer(('127.0.0.1', 0), Files) for _ in range(2)]
    for server in started:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    Files.seen.clear()
    yield [f'http://127.0.0.1:{server.server_port}' for server in started]
    for server in started:
        server.shutdown()


def files(tmp_path, url, **limits):
    settings = Settings(label_studio_url=url, label_studio_api_key=TOKEN, **limits)
    return MediaFiles(settings, tmp_path / 'cache')


def test_an_upload_is_fetched_once_with_the_token_and_cached(servers, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fetch = files(tmp_path, servers[0])
    path = fetch('/data/upload/1/a.png', 7)
    assert Image.open(path).getpixel((0, 0)) == (255, 0, 0)
    assert str(path).startswith(str(tmp_path / 'cache'))
    asked = len(Files.seen)
    assert fetch('/data/upload/1/a.png', 7) == path
    assert len(Files.seen) == asked, 'the second fetch is served from the cache'
    assert [a for _, p, a in Files.seen if p == '/data/upload/1/a.png'] == [f'Token {TOKEN}']
    assert TOKEN not in caplog.text


def fetch_all_at(url, cache_dir, start, count):
    """In a process of its own: wait for ``start`` (a time.time()), then fetch ``/race/0`` .. ``count - 1``."""
    fetch = MediaFiles(Settings(label_studio_url=url, label_studio_api_key=TOKEN), cache_dir)
    time.sleep(max(0.0, start - time.time()))
    return [Image.open(fetch(f'{url}/race/{n}')).getpixel((0, 0))[0] for n in range(count)]


def test_processes_sharing_the_cache_fetch_the_same_files_at_once(servers, tmp_path):
    count = 200
    with multiprocessing.get_context('spawn').Pool(2) as pool:
        start = time.time() + 5  # both processes started and imported by then
        runs = [pool.apply_async(fetch_all_at, (servers[0], tmp_path / 'cache', start, count)) for _ in range(2)]
        assert [run.get(timeout=120) for run in runs] == [[n % 256 for n in range(count)]] * 2
    assert len([p for p in (tmp_path / 'cache').iterdir() if p.is_file()]) == count
    assert not any((tmp_path / 'cache' / media.INCOMING).iterdir()), 'no download left behind'


def test_the_token_goes_to_label_studio_only(servers, tmp_path):
    fetch = files(tmp_path, servers[0])
    Image.open(fetch(f'{servers[1]}/public.png')).load()
    assert [auth for port, path, auth in Files.seen if path == '/public.png'] == [None]


@pytest.mark.parametrize('url, reason', [
    # label-studio-sdk reports the storage proxy's 400, not the legacy path's 500 it then tried.
    ('/data/upload/1/gone.png', 'HTTP 400 fetching it'),
    ('{other}/nothing.png', 'HTTP 404 fetching it'),
    ('{other}/big.png', 'over 1000 bytes'),
    ('http://127.0.0.1:9/refused.png', 'cannot fetch it (ConnectionError)'),
    ('s3://bucket/a.png', 'Label Studio Task ID is required for cloud storage files'),
])
def test_what_cannot_be_fetched_says_why(servers, tmp_path, url, reason):
    fetch = files(tmp_path, servers[0], max_image_bytes=1000)
    with pytest.raises(ImageUnreadable, match=reason.replace('(', r'\(').replace(')', r'\)')):
        fetch(url.format(other=servers[1]), None)


def test_a_server_that_does_not_answer_times_out(servers, tmp_path, monkeypatch):
    monkeypatch.setattr(media, 'FETCH_TIMEOUT', (1, 0.5))
    started = time.monotonic()
    with pytest.raises(ImageUnreadable, match='no answer within 0.5 s'):
        files(tmp_path, servers[0])(f'{servers[1]}/slow.png')
    assert time.monotonic() - started < 2


def test_the_cache_drops_the_least_recently_used_files_past_its_size(servers, tmp_path, monkeypatch):
    monkeypatch.setattr(media, 'SWEEP_EVERY_BYTES', 1)
    fetch = files(tmp_path, servers[0], media_cache_mb=1)
    fetch.max_cache_bytes = len(Files.files['/data/upload/1/a.png']) + 10
    first = fetch('/data/upload/1/a.png')
    second = fetch('/data/upload/1/b.png')
    assert not os.path.exists(first)
    assert Image.open(second).getpixel((0, 0)) == (0, 0, 255)
