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
    try:
        body = json.loads(request.get_data(cache=True) or b'null')
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f'body: not valid JSON ({error})') from None
    if not isinstance(body, dict):
        raise RequestError(f'body: expected a JSON object, got {type(body).__name__}')
    return body


def count(event, amount=1):
    """Add to a counter shown on /metrics (kept in Redis, so all processes add up)."""
    context().redis.hincrby(keys.STATS, event, amount)
