"""Basic auth on every route; a shared secret header as the webhook's alternative."""
import hmac

from flask import current_app, request

from backend.errors import Unauthorized

WEBHOOK_SECRET_HEADER = 'X-Webhook-Secret'
"""Header Label Studio's webhook must carry when ``WEBHOOK_SECRET`` is set."""

WEBHOOK_ENDPOINT = 'webhook.webhook'


def _same(given, expected):
    return hmac.compare_digest(str(given or '').encode(), str(expected).encode())


def _basic_auth_ok(settings):
    auth = request.authorization
    return (auth is not None and auth.type == 'basic' and _same(auth.username, settings.basic_auth_user)
            and _same(auth.password, settings.basic_auth_pass))


def check_auth():
    """``before_request`` hook: refuse a request without the configured credentials.

    Label Studio sends basic auth on /health, /setup, /predict and /versions,
    but a webhook carries only the headers stored on the webhook object, so
    /webhook also accepts the ``X-Webhook-Secret`` header.
    """
    settings = current_app.extensions['lsal'].settings
    if request.endpoint == WEBHOOK_ENDPOINT and settings.webhook_secret:
        if _same(request.headers.get(WEBHOOK_SECRET_HEADER), settings.webhook_secret):
            return None
        if not settings.basic_auth_user:
            raise Unauthorized(f'webhook: missing or wrong {WEBHOOK_SECRET_HEADER} header')
    if settings.basic_auth_user and not _basic_auth_ok(settings):
        raise Unauthorized('authentication required: HTTP basic auth (BASIC_AUTH_USER/BASIC_AUTH_PASS)'
                           + (f' or the {WEBHOOK_SECRET_HEADER} header' if request.endpoint == WEBHOOK_ENDPOINT
                              and settings.webhook_secret else ''))
    return None
