"""Give memory back to the operating system after a large request.

glibc keeps the heap a large request grew (a 20-million-character /predict left a web process about
100 MiB larger, every time); ``malloc_trim`` returns the free part.
"""
import ctypes
import ctypes.util
import functools

from flask import request

LARGE_REQUEST_BYTES = 1024 * 1024
"""Requests with a body at least this large trim the heap once their response is sent."""


@functools.cache
def malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library('c')).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def trim_after_large_requests(response):
    """``after_request`` hook: after a large request's response is sent, free what it left on the heap."""
    trim = malloc_trim() if (request.content_length or 0) >= LARGE_REQUEST_BYTES else None
    if trim is not None:
        response.call_on_close(lambda: trim(0))
    return response
