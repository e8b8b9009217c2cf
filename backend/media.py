"""Files that task data names by URL (images), fetched through label-studio-sdk into a bounded cache."""
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

import httpx
import requests
from label_studio_sdk._extensions.label_studio_tools.core.utils.io import get_local_path, http_session
from label_studio_sdk.core.client_wrapper import SyncClientWrapper

from model.images import ImageUnreadable

logger = logging.getLogger(__name__)

# get_local_path logs every URL it resolves at INFO: one line per image of a re-scored pool.
logging.getLogger('label_studio_sdk._extensions.label_studio_tools.core.utils.io').setLevel(logging.WARNING)

FETCH_TIMEOUT = (5, 30)
"""Seconds to connect, and between bytes received, per download."""

INCOMING = '.incoming'
"""Sub-folder holding one private folder per download, which label-studio-sdk downloads into; each file is
then moved under a hash of its URL (atomically: processes sharing ``MODEL_DIR`` may fetch one file at once)."""

SWEEP_EVERY_BYTES = 64 * 1024 * 1024
"""Bytes downloaded between two checks of the cache's size."""


class BoundedSession(requests.Session):
    """A session whose downloads time out and stop at ``max_bytes`` (the body is read here, bounded)."""

    def __init__(self, max_bytes):
        super().__init__()
        self.max_bytes = max_bytes

    def request(self, method, url, **kwargs):
        kwargs.setdefault('timeout', FETCH_TIMEOUT)
        kwargs['stream'] = True
        response = super().request(method, url, **kwargs)
        if response.ok:
            declared = int(response.headers.get('Content-Length') or 0)
            body = b'' if declared > self.max_bytes else response.raw.read(self.max_bytes + 1, decode_content=True)
            if declared > self.max_bytes or len(body) > self.max_bytes:
                response.close()
                raise ImageUnreadable(f'over {self.max_bytes} bytes (MAX_IMAGE_BYTES)')
            response._content, response._content_consumed = body, True
        return response


class MediaFiles:
    """``fetch(value, task_id)`` for a :class:`~model.task_types.Reader`: the local path of the file a task
    names (an upload, a local-files path, a cloud URI Label Studio presigns, or an http(s) URL).

    Files are kept under ``cache_dir``; past ``max_cache_bytes`` the least recently used go first.
    The API token is sent only to Label Studio's own host (label-studio-sdk's rule) and never logged.
    """

    def __init__(self, settings, cache_dir):
        self.url = settings.label_studio_url
        self.api_key = settings.label_studio_api_key
        # label-studio-sdk's token handling: a personal access token (a JWT refresh token) is exchanged for
        # short-lived access tokens, renewed as they expire; a legacy token is sent as it is.
        self._tokens = SyncClientWrapper(api_key=self.api_key, base_url=self.url.rstrip('/'),
                                         httpx_client=httpx.Client(timeout=FETCH_TIMEOUT[1])) if self.api_key else None
        self.max_bytes = settings.max_image_bytes
        self.max_cache_bytes = settings.media_cache_mb * 1024 * 1024
        self.cache_dir = Path(cache_dir)
        self._since_sweep = SWEEP_EVERY_BYTES  # the first download checks the cache
        self._lock = threading.Lock()

    def __call__(self, value, task_id=None):
        """The local path of ``value``'s file.

        Raises:
            ImageUnreadable: it cannot be fetched; the message says why (HTTP status, timeout, size).
        """
        cached = self.cache_dir / hashlib.sha256(value.encode()).hexdigest()[:32]
        if cached.is_file():
            os.utime(cached)  # most recently used
            return str(cached)
        incoming = self.cache_dir / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        download = tempfile.mkdtemp(dir=incoming)
        try:
            return self._fetched(value, task_id, Path(download), cached)
        finally:
            shutil.rmtree(download, ignore_errors=True)

    def _fetched(self, value, task_id, download, cached):
        """Download ``value`` into the empty folder ``download`` and move it to ``cached``."""
        try:
            with http_session(BoundedSession(self.max_bytes)):
                path = get_local_path(value, cache_dir=str(download), hostname=self.url or None,
                                      access_token=self._access_token(), task_id=task_id)
        except ImageUnreadable:
            raise
        except requests.HTTPError as error:
            raise ImageUnreadable(f'HTTP {error.response.status_code} fetching it') from None
        except requests.Timeout:
            raise ImageUnreadable(f'no answer within {FETCH_TIMEOUT[1]} s') from None
        except requests.RequestException as error:
            raise ImageUnreadable(f'cannot fetch it ({type(error).__name__})') from None
        except Exception as error:  # label-studio-sdk raises bare Exception (a cloud URI without a task id)
            raise ImageUnreadable(str(error).replace(self.api_key or '\0', '***')) from None
        if Path(path).parent != download:
            return path  # a file Label Studio keeps on this machine, read in place
        os.replace(path, cached)  # another process's copy of the same file may be replaced: same bytes
        self._added(cached)
        return str(cached)

    def _access_token(self):
        """The token label-studio-sdk sends to Label Studio's host for the next download, or None."""
        return self._tokens.get_headers()['Authorization'].split(' ', 1)[1] if self._tokens else None

    def _added(self, path):
        size = os.path.getsize(path)
        with self._lock:
            self._since_sweep += size
            if self._since_sweep < SWEEP_EVERY_BYTES:
                return
            self._since_sweep = 0
        self.sweep()

    def sweep(self):
        """Delete the least recently used files until the cache holds at most ``max_cache_bytes``."""
        files = []
        for entry in os.scandir(self.cache_dir):  # the files, not the INCOMING folder
            if entry.is_file():
                stat = entry.stat()
                files.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_cache_bytes:
                break
            try:
                os.remove(path)
                total -= size
            except OSError:
                continue


def local_or_fetched(settings, cache_dir):
    """``fetch(value, task_id)`` for ``lsal simulate``: a local file as it is, a URL through Label Studio
    where the settings name one (cached in ``cache_dir``)."""
    media = MediaFiles(settings, cache_dir) if settings.label_studio_enabled else None

    def fetch(value, task_id):
        if Path(value).is_file() or media is None:
            return value
        return media(value, task_id)

    return fetch
