"""Helpers every view uses."""
import json

from flask import current_app, request

from backend import keys
from backend.errors import RequestError


def context():
    """The :class:`~backend.context.Context` of the running app."""
    return current_app.extensions['lsal']


def model_thread():
    """The :class:`~backend.model_thread.ModelThread` every model call of the web process runs on."""
    return current_app.extensions['lsal.model_thread']


def json_object():
    """The request body as a dict, or a 400 that says why it is not one."""
    body = parse_json(request.get_data(cache=True) or b'null', 'body')
    if not isinstance(body, dict):
        raise RequestError(f'body: expected a JSON object, got {type(body).__name__}')
    return body


def parse_json(text, name):
    """``text`` parsed, or a 400 naming ``name``: not JSON, not UTF-8, nested too deep, or an integer
    longer than Python reads."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise RequestError(f'{name}: not valid JSON ({str(error)[:200]})') from None


def count(event, amount=1):
    """Add to a counter shown on /metrics (kept in Redis, so all processes add up)."""
    context().redis.hincrby(keys.STATS, event, amount)
