"""Basic auth on every route but the health probe; a shared secret header as the webhook's alternative."""
import hmac
import logging

from flask import current_app, request

from backend.errors import Unauthorized

logger = logging.getLogger(__name__)

WEBHOOK_SECRET_HEADER = 'X-Webhook-Secret'
"""Header Label Studio's webhook must carry when ``WEBHOOK_SECRET`` is set."""

WEBHOOK_ENDPOINT = 'webhook.webhook'

OPEN_ENDPOINTS = ('ml.health',)
"""Routes answered without credentials: ``/health`` says only that the backend and its Redis are up, so
container and load-balancer probes need no secret."""


def _same(given, expected):
    return hmac.compare_digest(str(given or '').encode(), str(expected).encode())


def _basic_auth_ok(settings):
    auth = request.authorization
    return (auth is not None and auth.type == 'basic' and _same(auth.username, settings.basic_auth_user)
            and _same(auth.password, settings.basic_auth_pass))


def warn_of_refused_webhooks(settings):
    """Log a warning when basic auth is on and no ``WEBHOOK_SECRET`` is set: every webhook would get a 401."""
    if settings.basic_auth_user and not settings.webhook_secret:
        logger.warning('BASIC_AUTH_USER is set and WEBHOOK_SECRET is not: Label Studio sends webhooks without basic '
                       'auth, so each one gets a 401 and nothing trains. Set WEBHOOK_SECRET and store it as the '
                       '%s header of the project\'s webhook (README: "Webhook authentication").',
                       WEBHOOK_SECRET_HEADER)


def check_auth():
    """``before_request`` hook: refuse a request without the configured credentials.

    Label Studio sends basic auth on /health, /setup, /predict and /versions,
    but a webhook carries only the headers stored on the webhook object, so
    /webhook also accepts the ``X-Webhook-Secret`` header. The
    :data:`OPEN_ENDPOINTS` need nothing.
    """
    settings = current_app.extensions['lsal'].settings
    if request.endpoint in OPEN_ENDPOINTS:
        return None
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
